import { createKube9Client, errorCode, TRPCClientError, type Kube9Client, type RouterInputs, type RouterOutputs } from "@kube9/client";

export type NodeDTO = RouterOutputs["nodes"]["list"][number];
export type PodDTO = RouterOutputs["pods"]["list"][number];
export type EventDTO = RouterOutputs["events"]["list"][number];
export type PodDetail = RouterOutputs["pods"]["get"];
export type ClusterStatus = RouterOutputs["cluster"]["status"];
export type HealthConfig = ClusterStatus["health"];
export type NodeStatus = NodeDTO["status"];
export type PodStatus = PodDTO["status"];
export type Policy = ClusterStatus["algorithm"];
export type UsageRangeDTO = RouterOutputs["usage"]["range"];
export type UsageTarget = RouterInputs["usage"]["range"]["target"];
export type NodeUsageDTO = RouterOutputs["usage"]["nodes"][number];
export type PodUsageDTO = RouterOutputs["usage"]["pods"][number];
export type AlertDTO = RouterOutputs["alerts"]["list"][number];
export type AlertRuleDTO = RouterOutputs["alerts"]["rules"][number];
export type NodeGroupDTO = RouterOutputs["nodeGroups"]["list"][number];
export type AutoscalerStatusDTO = RouterOutputs["autoscaler"]["status"];
export type NamespaceDTO = RouterOutputs["namespaces"]["list"][number];
export type NetworkPolicyDTO = RouterOutputs["networkPolicies"]["list"][number];
export type ProbeResultDTO = RouterOutputs["net"]["probe"];
export type ProbePortDTO = ProbeResultDTO["ports"][number];
export type ExplanationDTO = RouterOutputs["net"]["explain"];
export type Expander = RouterInputs["autoscaler"]["setExpander"]["expander"];
export type { Kube9Client };

export {
  isTerminalNodeStatus,
  NODE_ROLES,
  NODE_STATUSES,
  POD_STATUSES,
  POLICY_NAMES as POLICIES,
  RUNTIME_KINDS,
  type NodeRole,
  type RuntimeKind,
} from "@kube9/client";

/** Where the token lives in the browser (the /docs page reads the same key). */
export const TOKEN_KEY = "kube9.token";

export function makeClient(token: string): Kube9Client {
  return createKube9Client({ url: window.location.origin, token });
}

/** A short, human message for a failed call. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isAuthError(err: unknown): boolean {
  const code = errorCode(err);
  return code === "UNAUTHORIZED" || code === "FORBIDDEN";
}

export function cores(milli: number): string {
  const c = milli / 1000;
  return Number.isInteger(c) ? String(c) : c.toFixed(c < 1 ? 3 : 2).replace(/0+$/, "");
}

export function mib(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`;
}

export function ago(iso: string | null, now: number): string {
  if (!iso) return "never";
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 10) return `${s.toFixed(1)} s ago`;
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf("=");
    if (i <= 0) throw new Error(`label "${part}" must look like key=value`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
