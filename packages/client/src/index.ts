import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource, type FetchLike } from "eventsource";
import type { AppRouter, RouterInputs, RouterOutputs } from "@kube9/api";

export type { AppRouter, RouterInputs, RouterOutputs };
export { TRPCClientError };

// The domain vocabulary, so the CLI, the agent, the dashboard and other projects need only this package.
export {
  componentsForRole,
  CONTROL_PLANE_RUNTIMES,
  coresToMilli,
  milliToCores,
  DEFAULT_HEALTH_CONFIG,
  isTerminalNodeStatus,
  isValidLabelKey,
  isValidLabelValue,
  isValidName,
  LABEL_KEY_PATTERN,
  LABEL_KEY_RULE,
  LABEL_VALUE_PATTERN,
  LABEL_VALUE_RULE,
  LIMITS,
  MAX_LABEL_LENGTH,
  NAME_RULE,
  NODE_ROLES,
  NODE_STATUSES,
  POD_STATUSES,
  parseConfigFile,
  POLICY_NAMES,
  RUNTIME_KINDS,
  type ComponentStatus,
  type ControlPlaneRuntime,
  type HealthConfig,
  type Kube9ConfigFile,
  type Labels,
  type NodeRole,
  type NodeStatus,
  type PodStatus,
  type PolicyName,
  type Resources,
  type RuntimeKind,
  type WatchMessage,
} from "@kube9/core";

// Network policies: the reachability matrices `net probe` prints, and the policy semantics for other tools.
export {
  compareMatrices,
  formatComparison,
  formatMatrix,
  parseNetworkPolicyManifest,
  parseSelectorString,
  scenarioPodManifest,
  type MatrixComparison,
  type NetworkPolicy,
  type PodFirewall,
  type NetpolAssignment,
  type NetpolReport,
  type ReachabilityMatrix,
} from "@kube9/core";

// Pods as Kubernetes shapes them: quantities for flags and tables, and the spec/status types the CLI prints.
export {
  formatCpuQuantity,
  formatMemoryQuantity,
  parseCpu as parseCpuQuantity,
  parseMemory as parseMemoryQuantity,
  QuantityError,
  RESTART_POLICIES,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type LimitEnforcement,
  type PodCondition,
  type PodPhase,
  type PodSpec,
  type ProbeSpec,
  type RestartPolicy,
} from "@kube9/core";

// Prometheus durations (alert rules' `for:`, node groups' timings) and the autoscaler's expanders, for flags and tables.
export { EXPANDERS, formatPromDuration, parsePromDuration, type Expander } from "@kube9/core";

// Hollow nodes: the simulated kubelet a `kube9 hollow` fleet runs per node, and how it makes up use.
export { DEFAULT_HOLLOW_USAGE, HollowNode, parseHollowUsage, type HollowUsageOptions } from "@kube9/core";

// Trace replay, so `kube9 simulate` runs the scheduler locally without the API.
export {
  parseTraceNodes,
  parseTracePods,
  replayTrace,
  TraceParseError,
  type ReplayMode,
  type ReplayResult,
  type TraceNode,
  type TracePod,
} from "@kube9/core";

/** Options for a Kube-9 client: the API base URL (e.g. http://127.0.0.1:7070) and a bearer token. */
export interface Kube9ClientOptions {
  url: string;
  token?: string;
  /** Abort a request after this many ms (default: no limit). */
  timeoutMs?: number;
}

/** The fully typed tRPC client for a Kube-9 API. */
export type Kube9Client = ReturnType<typeof createTRPCClient<AppRouter>>;

/** Creates a typed client; every procedure of the API is available with its input and output types. */
export function createKube9Client(opts: Kube9ClientOptions): Kube9Client {
  const base = opts.url.replace(/\/+$/, "");
  // Watches (SSE) go through the eventsource package: Node 20 has no EventSource, and the browser's cannot send headers.
  const sseFetch: FetchLike = (input, init) =>
    fetch(input, {
      ...(init as RequestInit),
      headers: { ...init.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          EventSource,
          eventSourceOptions: () => ({ fetch: sseFetch }),
        }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          headers: () => (opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          fetch: opts.timeoutMs
            ? (input, init) => {
                // Keep a per-call signal (e.g. a cancelled subscription) alongside the timeout.
                const timeout = AbortSignal.timeout(opts.timeoutMs!);
                const own = (init as RequestInit | undefined)?.signal;
                return fetch(input, { ...(init as RequestInit), signal: own ? AbortSignal.any([own, timeout]) : timeout });
              }
            : undefined,
        }),
      }),
    ],
  });
}

/** The tRPC error code of a failed call (e.g. "NOT_FOUND"), or undefined for network errors. */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as { code?: string } | undefined;
    return data?.code;
  }
  return undefined;
}
