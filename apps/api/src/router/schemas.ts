import { LABEL_KEY_PATTERN, LABEL_KEY_RULE, LABEL_VALUE_PATTERN, LABEL_VALUE_RULE, MAX_LABEL_LENGTH, NAME_RULE } from "@kube9/core";
import { LIMITS, NODE_ROLES, NODE_STATUSES, parseCpu, parseMemory, parsePromDuration, POD_CONDITION_TYPES, POD_PHASES, POD_STATUSES, POLICY_NAMES, RESTART_POLICIES, RUNTIME_KINDS } from "@kube9/core";
import { z } from "zod";

/** Object names: Kubernetes DNS-label style. */
export const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(LIMITS.maxNameLength, `must be at most ${LIMITS.maxNameLength} characters`)
  .regex(LIMITS.namePattern, `must be ${NAME_RULE}`);

/** CPU as users speak it: cores, fractions allowed down to one millicore. */
export const cpuSchema = z.preprocess(
  // A Kubernetes quantity string ("500m", "1.5") is cores too; a malformed one is left for the number check to name.
  (v) => quantity(v, (q) => parseCpu(q) / 1000),
  z
    .number({ error: 'must be a number of cores or a Kubernetes quantity such as "500m"' })
    .min(0.001, `must be > 0 (at least 0.001) and <= ${LIMITS.maxCpuCores} cores`)
    .max(LIMITS.maxCpuCores, `must be > 0 (at least 0.001) and <= ${LIMITS.maxCpuCores} cores`),
) as unknown as z.ZodType<number, number | string>; // preprocess types its input unknown; callers give either

/** Memory in whole MiB, or a Kubernetes quantity string ("128Mi", "1Gi", "1G"). */
export const memorySchema = z.preprocess(
  (v) => quantity(v, parseMemory),
  z
    .number({ error: 'must be a number of MiB or a Kubernetes quantity such as "128Mi"' })
    .int("must be a whole number of MiB")
    .min(0, `must be between 0 and ${LIMITS.maxMemoryMiB} MiB (4 TiB)`)
    .max(LIMITS.maxMemoryMiB, `must be between 0 and ${LIMITS.maxMemoryMiB} MiB (4 TiB)`),
) as unknown as z.ZodType<number, number | string>;

/** A quantity string converted by `parse`; anything else (or a bad string) passes through for zod to judge. */
function quantity(v: unknown, parse: (q: string) => number): unknown {
  if (typeof v !== "string") return v;
  try {
    return parse(v);
  } catch {
    return v;
  }
}

const labelKey = z
  .string()
  .max(MAX_LABEL_LENGTH, `label keys must be ${LABEL_KEY_RULE}`)
  .regex(LABEL_KEY_PATTERN, `label keys must be ${LABEL_KEY_RULE}`);
const labelValue = z
  .string()
  .max(MAX_LABEL_LENGTH, `label values must be ${LABEL_VALUE_RULE}`)
  .regex(LABEL_VALUE_PATTERN, `label values must be ${LABEL_VALUE_RULE}`);

/** key=value labels, bounded in count. */
export const labelsSchema = z
  .record(labelKey, labelValue)
  .refine((l) => Object.keys(l).length <= LIMITS.maxLabels, `at most ${LIMITS.maxLabels} labels`);

export const policySchema = z.enum(POLICY_NAMES, { error: `must be one of ${POLICY_NAMES.join(", ")}` });
export const roleSchema = z.enum(NODE_ROLES, { error: `must be one of ${NODE_ROLES.join(", ")}` });
export const runtimeSchema = z.enum(RUNTIME_KINDS, { error: `must be one of ${RUNTIME_KINDS.join(", ")}` });
export const nodeStatusSchema = z.enum(NODE_STATUSES, { error: `must be one of ${NODE_STATUSES.join(", ")}` });
export const podStatusSchema = z.enum(POD_STATUSES, { error: `must be one of ${POD_STATUSES.join(", ")}` });
export const nodeIdSchema = z.string().uuid("must be a node id (uuid)");

export const addNodeInput = z.object({
  name: nameSchema.optional(),
  cpu: cpuSchema,
  memoryMiB: memorySchema.optional(),
  role: roleSchema.optional(),
  labels: labelsSchema.optional(),
  runtime: runtimeSchema.optional(),
});

/** Nodes whose agents run outside the API (`kube9 hollow`): at most 1,000 per call. */
export const joinNodesInput = z
  .object({
    nodes: z
      .array(
        z
          .object({ name: nameSchema, cpu: cpuSchema, memoryMiB: memorySchema.optional(), role: roleSchema.optional(), labels: labelsSchema.optional() })
          .strict(),
      )
      .min(1, "must name at least one node")
      .max(1000, "at most 1000 nodes per call"),
  })
  .strict();

const argv = z.array(z.string().max(4096)).max(256);

/** A namespace name (a DNS label, as Kubernetes requires); pods without one are in "default". */
export const namespaceSchema = nameSchema;

const launchPodFields = z.object({
  name: nameSchema.optional(),
  namespace: namespaceSchema.optional(),
  cpu: cpuSchema.optional(),
  memoryMiB: memorySchema.optional(),
  algorithm: policySchema.optional(),
  labels: labelsSchema.optional(),
  nodeSelector: labelsSchema.optional(),
  image: z.string().min(1, "must not be empty").max(256).optional(),
  command: argv.optional(),
  args: argv.optional(),
  limitCpu: cpuSchema.optional(),
  limitMemoryMiB: memorySchema.optional(),
  restartPolicy: z.enum(RESTART_POLICIES, { error: `must be one of ${RESTART_POLICIES.join(", ")}` }).optional(),
  env: z.record(z.string().min(1).max(256), z.string().max(4096)).optional(),
});

/** A pod without an image runs nothing: it only holds its request, so it needs one, and container settings need an image. */
function imageRules(v: z.infer<typeof launchPodFields>, ctx: z.RefinementCtx): void {
  if (v.image !== undefined) return;
  if (v.cpu === undefined) ctx.addIssue({ code: "custom", path: ["cpu"], message: "required (or give an image with limits)" });
  for (const key of ["command", "args", "limitCpu", "limitMemoryMiB", "restartPolicy", "env"] as const) {
    if (v[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "needs an image" });
  }
}

/** pods.launch: a pod by its request, or by an image (one container) with its limits. */
export const launchPodInput = launchPodFields.superRefine(imageRules);

/** Most pods one pods.launchMany call takes. */
export const LAUNCH_MANY_MAX = 1000;

/** pods.launchMany: items as pods.launch takes them; unknown keys are refused (a misspelt field would be silently lost). */
export const launchManyInput = z
  .object({
    items: z
      .array(launchPodFields.strict().superRefine(imageRules))
      .min(1, "must list at least one pod")
      .max(LAUNCH_MANY_MAX, `at most ${LAUNCH_MANY_MAX} pods per call`),
  })
  .strict();

/** A Kubernetes Pod manifest (validated by core's parsePodManifest, which names each bad field). */
export const applyInput = z.object({ manifest: z.unknown() });

export const deletePodInput = z.object({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  gracePeriodSeconds: z.number().int().min(0).max(3600).optional(),
});

export const logsInput = z.object({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  container: nameSchema.optional(),
  previous: z.boolean().optional(),
  tail: z.number().int().min(0).max(100_000).optional(),
  timestamps: z.boolean().optional(),
});

export const execInput = z.object({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  container: nameSchema.optional(),
  command: z.array(z.string().max(4096)).min(1, "must name a command").max(256),
});

export const byName = z.object({ name: nameSchema });

/** A pod (or another namespaced object) by name, in "default" unless a namespace is given. */
export const byNamespacedName = z.object({ name: nameSchema, namespace: namespaceSchema.optional() });

const shortText = z.string().max(1024);
const time = z.string().max(40);
const containerState = z.union([
  z.object({ waiting: z.object({ reason: z.string().max(128), message: shortText.optional() }) }),
  z.object({ running: z.object({ startedAt: time }) }),
  z.object({
    terminated: z.object({
      exitCode: z.number().int().min(-1).max(255),
      signal: z.number().int().min(0).max(64).optional(),
      reason: z.string().max(128),
      message: shortText.optional(),
      startedAt: time.optional(),
      finishedAt: time,
    }),
  }),
]);
const containerStatus = z.object({
  name: z.string().max(63),
  image: z.string().max(256),
  state: containerState,
  lastState: z.union([containerState, z.object({})]),
  ready: z.boolean(),
  started: z.boolean(),
  restartCount: z.number().int().min(0).max(1e9),
});
const enforcement = z.object({
  memory: z.enum(["cgroup-v1", "cgroup-v2", "agent", "none"]),
  cpu: z.enum(["cgroup-v1", "cgroup-v2", "none"]),
});

/** A pod's status as its node reports it (Kubernetes field names), only when it changed. */
export const podStatusReport = z.object({
  podId: z.string().uuid(),
  phase: z.enum(POD_PHASES),
  containerStatuses: z.array(containerStatus).max(64),
  conditions: z
    .array(
      z.object({
        type: z.enum(POD_CONDITION_TYPES),
        status: z.enum(["True", "False", "Unknown"]),
        reason: z.string().max(128).optional(),
        message: shortText.optional(),
        lastTransitionTime: time,
      }),
    )
    .max(8),
  podIP: z.string().max(64).optional(),
  reason: z.string().max(128).optional(),
  message: shortText.optional(),
  enforcement: z.record(z.string().max(63), enforcement).optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const usageFigure = (v: unknown) => typeof v === "number" && v >= 0 && v <= 1e9;

/** Why a podUsage report is malformed, or null. Hand-written: it rides every heartbeat, and zod's record-of-tuples cost 30 µs a beat. */
function podUsageProblem(v: unknown): string | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "must be an object of pod id -> container -> [cpuMilli, memoryMiB]";
  const pods = Object.keys(v);
  if (pods.length > 1000) return "at most 1000 pods";
  for (const id of pods) {
    if (!UUID.test(id)) return `${JSON.stringify(id.slice(0, 40))} is not a pod id (uuid)`;
    const containers = (v as Record<string, unknown>)[id];
    if (typeof containers !== "object" || containers === null || Array.isArray(containers)) return `${id}: must be an object of container -> [cpuMilli, memoryMiB]`;
    const names = Object.keys(containers);
    if (names.length > 64) return `${id}: at most 64 containers`;
    for (const name of names) {
      const pair = (containers as Record<string, unknown>)[name];
      if (name.length === 0 || name.length > 63) return `${id}: container names are 1..63 characters`;
      if (!Array.isArray(pair) || pair.length !== 2 || !usageFigure(pair[0]) || !usageFigure(pair[1])) return `${id}.${name}: must be [cpuMilli, memoryMiB], numbers from 0 to 1e9`;
    }
  }
  return null;
}

/** Each pod's containers' use: `{podId: {container: [cpuMilli, memoryMiB]}}`. */
const podUsageSchema = z.custom<Record<string, Record<string, [number, number]>>>().superRefine((v, ctx) => {
  const problem = podUsageProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const heartbeatInput = z.object({
  nodeId: nodeIdSchema.optional(),
  podIds: z.array(z.string().max(64)).max(10_000),
  usage: z.object({ cpuMilli: z.number().min(0).max(1e9), memoryMiB: z.number().min(0).max(1e9) }),
  /** The agent's own part of `usage`. */
  agentUsage: z.object({ cpuMilli: z.number().min(0).max(1e9), memoryMiB: z.number().min(0).max(1e9) }).optional(),
  /** Per pod id, per container name: [cpuMilli, memoryMiB] over the last interval. */
  podUsage: podUsageSchema.optional(),
  components: z.record(z.string().max(64), z.enum(["Healthy", "Unhealthy"])),
  podStatuses: z.array(podStatusReport).max(1000).optional(),
  /** What the kubelet saw happen (probe failures, kills, back-offs), only new ones. */
  podEvents: z
    .array(
      z.object({
        podId: z.string().uuid(),
        type: z.enum(["Normal", "Warning"]),
        reason: z.string().min(1).max(128),
        message: shortText,
      }),
    )
    .max(200)
    .optional(),
  netpol: z
    .object({
      revision: z.string().max(64),
      enforcement: z.enum(["nftables", "none"]),
      reason: shortText.optional(),
    })
    .optional(),
});

/** Where a node's kubelet server listens (only loopback or the node's own address is reached). */
export const kubeletEndpoint = z.object({
  url: z
    .string()
    .url()
    .max(200)
    .refine((u) => /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(u), "must be an http:// URL on this machine's loopback"),
  token: z.string().min(16).max(200),
});

export const healthPatchInput = z
  .object({
    heartbeatIntervalMs: z.number().int().min(50).max(600_000),
    suspectAfterMs: z.number().int().min(100).max(3_600_000),
    failedAfterMs: z.number().int().min(100).max(3_600_000),
    maxRecoveryAttempts: z.number().int().min(0).max(100),
    recoveryTimeoutMs: z.number().int().min(100).max(3_600_000),
    provisioningTimeoutMs: z.number().int().min(100).max(3_600_000),
    recoveryResetAfterMs: z.number().int().min(0).max(86_400_000),
    crashLoopBackoffInitialMs: z.number().int().min(10).max(3_600_000),
    crashLoopBackoffMaxMs: z.number().int().min(10).max(3_600_000),
    crashLoopBackoffResetMs: z.number().int().min(10).max(86_400_000),
  })
  .partial();

/** A Prometheus duration ("3s", "1m30s", "500ms") as ms; the error says what the syntax is. */
export const promDurationSchema = z
  .string()
  .max(32)
  .transform((text, ctx) => {
    try {
      return parsePromDuration(text);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * Many nodes' heartbeats in one request (a hollow fleet's): each beat names its node and carries that
 * node's own credential, which is verified like a bearer token. Unknown fields are refused.
 */
export const heartbeatBatchInput = z
  .object({
    beats: z
      .array(z.object({ nodeId: nodeIdSchema, token: z.string().min(1).max(256), report: heartbeatInput.omit({ nodeId: true }).strict() }).strict())
      .min(1, "must carry at least one beat")
      .max(1000, "at most 1000 beats per call"),
  })
  .strict();

/** Many nodes' registrations in one call (a hollow fleet); each carries its node's own credential. */
export const registerBatchInput = z
  .object({
    nodes: z
      .array(z.object({ nodeId: nodeIdSchema, token: z.string().min(1).max(256), kubelet: kubeletEndpoint.optional() }).strict())
      .min(1, "must carry at least one node")
      .max(1000, "at most 1000 nodes per call"),
  })
  .strict();
