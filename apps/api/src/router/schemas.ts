import { LABEL_KEY_PATTERN, LABEL_KEY_RULE, LABEL_VALUE_PATTERN, LABEL_VALUE_RULE, MAX_LABEL_LENGTH, NAME_RULE } from "@kube9/core";
import { LIMITS, NODE_ROLES, NODE_STATUSES, parseCpu, parseMemory, parsePromDuration, POD_CONDITION_TYPES, POD_PHASES, POD_STATUSES, POLICY_NAMES, RESTART_POLICIES, RUNTIME_KINDS } from "@kube9/core";
import { z } from "zod";

/** Deepest nesting any procedure's input needs (a Pod manifest's probes are 6 deep); deeper input is refused before parsing. */
export const MAX_INPUT_DEPTH = 32;

/** With the u flag a valid pair is one code point; only a lone half is category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why PostgreSQL could not store a string (a NUL; half a UTF-16 surrogate pair, which has no UTF-8 form), or null. */
export function unstorable(text: string): string | null {
  if (text.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (LONE_SURROGATE.test(text)) return "must not contain unpaired UTF-16 surrogates (\\ud800-\\udfff alone)";
  return null;
}

/** A string PostgreSQL can store, of at most `max` characters. */
export function text(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .superRefine((v, ctx) => {
      const problem = unstorable(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

/** A record key PostgreSQL can store, of 1..`max` characters. */
export function key(max: number) {
  return text(max).min(1, "must not be empty");
}

/** The fields an input object takes, said when it is given another (a misspelt field must not be silently lost). */
function unknownKeys(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "unrecognized_keys") return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  const allowed = shape ? Object.keys(shape) : [];
  return allowed.length > 0 ? `unknown field (allowed: ${allowed.join(", ")})` : "unknown field (this object takes no fields)";
}

/** An input object that refuses unknown keys, naming the ones it takes. Every procedure input is one. */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, { error: unknownKeys });
}

/**
 * The first part of a decoded JSON input no procedure takes, whatever its schema: nesting deeper than
 * MAX_INPUT_DEPTH, or a string or key PostgreSQL cannot store. Checked once over the whole input before the
 * schema runs, so manifests (free-form until core parses them) are covered too, and no deep value reaches
 * code that recurses.
 */
export function inputShapeProblem(input: unknown): { path: Array<string | number>; message: string } | null {
  const path: Array<string | number> = [];
  const walk = (v: unknown, depth: number): string | null => {
    if (typeof v === "string") return unstorable(v);
    if (v === null || typeof v !== "object") return null;
    if (depth >= MAX_INPUT_DEPTH) return `nested too deep: at most ${MAX_INPUT_DEPTH} levels of objects and arrays`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const p = walk(v[i], depth + 1);
        if (p) return p;
        path.pop();
      }
      return null;
    }
    for (const k of Object.keys(v)) {
      const bad = unstorable(k);
      if (bad) return `field names ${bad}`;
      path.push(k);
      const p = walk((v as Record<string, unknown>)[k], depth + 1);
      if (p) return p;
      path.pop();
    }
    return null;
  };
  const message = walk(input, 0);
  return message ? { path, message } : null;
}

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

export const addNodeInput = strictObject({
  name: nameSchema.optional(),
  cpu: cpuSchema,
  memoryMiB: memorySchema.optional(),
  role: roleSchema.optional(),
  labels: labelsSchema.optional(),
  runtime: runtimeSchema.optional(),
});

/** Nodes whose agents run outside the API (`kube9 hollow`): at most 1,000 per call. */
export const joinNodesInput = strictObject({
    nodes: z
      .array(
        z
          .object({ name: nameSchema, cpu: cpuSchema, memoryMiB: memorySchema.optional(), role: roleSchema.optional(), labels: labelsSchema.optional() }),
      )
      .min(1, "must name at least one node")
      .max(1000, "at most 1000 nodes per call"),
  });

const argv = z.array(text(4096)).max(256, "at most 256 arguments");

/** A namespace name (a DNS label, as Kubernetes requires); pods without one are in "default". */
export const namespaceSchema = nameSchema;

const launchPodFields = strictObject({
  name: nameSchema.optional(),
  namespace: namespaceSchema.optional(),
  cpu: cpuSchema.optional(),
  memoryMiB: memorySchema.optional(),
  algorithm: policySchema.optional(),
  labels: labelsSchema.optional(),
  nodeSelector: labelsSchema.optional(),
  image: text(256).min(1, "must not be empty").optional(),
  command: argv.optional(),
  args: argv.optional(),
  limitCpu: cpuSchema.optional(),
  limitMemoryMiB: memorySchema.optional(),
  restartPolicy: z.enum(RESTART_POLICIES, { error: `must be one of ${RESTART_POLICIES.join(", ")}` }).optional(),
  env: z
    .record(key(256), text(4096))
    .refine((e) => Object.keys(e).length <= 256, "at most 256 variables")
    .optional(),
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
export const launchManyInput = strictObject({
    items: z
      .array(launchPodFields.superRefine(imageRules))
      .min(1, "must list at least one pod")
      .max(LAUNCH_MANY_MAX, `at most ${LAUNCH_MANY_MAX} pods per call`),
  });

/** A Kubernetes Pod manifest (validated by core's parsePodManifest, which names each bad field). */
export const applyInput = strictObject({ manifest: z.unknown() });

export const deletePodInput = strictObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  gracePeriodSeconds: z.number().int().min(0).max(3600).optional(),
});

export const logsInput = strictObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  container: nameSchema.optional(),
  previous: z.boolean().optional(),
  tail: z.number().int().min(0).max(100_000).optional(),
  timestamps: z.boolean().optional(),
});

export const execInput = strictObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  container: nameSchema.optional(),
  command: z.array(text(4096)).min(1, "must name a command").max(256, "at most 256 arguments"),
});

export const byName = strictObject({ name: nameSchema });

/** A pod (or another namespaced object) by name, in "default" unless a namespace is given. */
export const byNamespacedName = strictObject({ name: nameSchema, namespace: namespaceSchema.optional() });

const podId = z.string().uuid("must be a pod id (uuid)");
const shortText = text(1024);
const reasonText = text(128);
const time = text(40);
const containerState = z.union([
  strictObject({ waiting: strictObject({ reason: reasonText, message: shortText.optional() }) }),
  strictObject({ running: strictObject({ startedAt: time }) }),
  strictObject({
    terminated: strictObject({
      exitCode: z.number().int().min(-1).max(255),
      signal: z.number().int().min(0).max(64).optional(),
      reason: reasonText,
      message: shortText.optional(),
      startedAt: time.optional(),
      finishedAt: time,
    }),
  }),
]);
const containerStatus = strictObject({
  name: text(63),
  image: text(256),
  state: containerState,
  lastState: z.union([containerState, strictObject({})]),
  ready: z.boolean(),
  started: z.boolean(),
  restartCount: z.number().int().min(0).max(1e9),
});
const enforcement = strictObject({
  memory: z.enum(["cgroup-v1", "cgroup-v2", "agent", "none"]),
  cpu: z.enum(["cgroup-v1", "cgroup-v2", "none"]),
});

/** A pod's status as its node reports it (Kubernetes field names), only when it changed. */
export const podStatusReport = strictObject({
  podId,
  phase: z.enum(POD_PHASES),
  containerStatuses: z.array(containerStatus).max(64),
  conditions: z
    .array(
      strictObject({
        type: z.enum(POD_CONDITION_TYPES),
        status: z.enum(["True", "False", "Unknown"]),
        reason: reasonText.optional(),
        message: shortText.optional(),
        lastTransitionTime: time,
      }),
    )
    .max(8),
  podIP: text(64).optional(),
  reason: reasonText.optional(),
  message: shortText.optional(),
  enforcement: z
    .record(key(63), enforcement)
    .refine((e) => Object.keys(e).length <= 64, "at most 64 containers")
    .optional(),
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
      if (name.length === 0 || name.length > 63 || unstorable(name)) return `${id}: container names are 1..63 characters, without NUL or unpaired surrogates`;
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

/** Most pods one heartbeat reports (ids, usage, statuses): Kubernetes' kubelet runs at most 110 by default. */
export const MAX_PODS_PER_BEAT = 1000;
/** Most components (kubelet, proxy, ...) a node reports. */
export const MAX_COMPONENTS = 32;

/**
 * One node's heartbeat. Every part is capped (counts and string lengths), so a beat costs the API a bounded
 * amount of parsing, and the node's stored report (kept by watches) stays small.
 */
export const heartbeatInput = strictObject({
  nodeId: nodeIdSchema.optional(),
  podIds: z.array(podId).max(MAX_PODS_PER_BEAT, `at most ${MAX_PODS_PER_BEAT} pods per node`),
  usage: strictObject({ cpuMilli: z.number().min(0).max(1e9), memoryMiB: z.number().min(0).max(1e9) }),
  /** The agent's own part of `usage`. */
  agentUsage: strictObject({ cpuMilli: z.number().min(0).max(1e9), memoryMiB: z.number().min(0).max(1e9) }).optional(),
  /** Per pod id, per container name: [cpuMilli, memoryMiB] over the last interval. */
  podUsage: podUsageSchema.optional(),
  components: z
    .record(key(64), z.enum(["Healthy", "Unhealthy"], { error: "must be Healthy or Unhealthy" }))
    .refine((c) => Object.keys(c).length <= MAX_COMPONENTS, `at most ${MAX_COMPONENTS} components`),
  podStatuses: z.array(podStatusReport).max(MAX_PODS_PER_BEAT, `at most ${MAX_PODS_PER_BEAT} pod statuses`).optional(),
  /** What the kubelet saw happen (probe failures, kills, back-offs), only new ones. */
  podEvents: z
    .array(
      strictObject({
        podId,
        type: z.enum(["Normal", "Warning"]),
        reason: reasonText.min(1, "must not be empty"),
        message: shortText,
      }),
    )
    .max(200, "at most 200 events per beat")
    .optional(),
  netpol: strictObject({
      revision: text(64),
      enforcement: z.enum(["nftables", "none"]),
      reason: shortText.optional(),
    }).optional(),
});

/** Where a node's kubelet server listens (only loopback or the node's own address is reached). */
export const kubeletEndpoint = strictObject({
  url: z
    .string()
    .url()
    .max(200)
    .refine((u) => /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(u), "must be an http:// URL on this machine's loopback"),
  token: text(200).min(16, "must be at least 16 characters"),
});

/** The health settings `cluster.setHealth` takes (the API docs list them too). */
export const HEALTH_SETTINGS = [
  "heartbeatIntervalMs",
  "suspectAfterMs",
  "failedAfterMs",
  "maxRecoveryAttempts",
  "recoveryTimeoutMs",
  "provisioningTimeoutMs",
  "recoveryResetAfterMs",
  "crashLoopBackoffInitialMs",
  "crashLoopBackoffMaxMs",
  "crashLoopBackoffResetMs",
] as const;

/** cluster.setHealth: the settings to change (at least one). */
export const healthPatchInput = strictObject({
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
  .partial()
  // An empty patch would be recorded as a change that changed nothing.
  .refine((p) => Object.keys(p).length > 0, { message: `give at least one setting: ${HEALTH_SETTINGS.join(", ")}` });

/** A Prometheus duration ("3s", "1m30s", "500ms") as ms; the error says what the syntax is. */
export const promDurationSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    try {
      return parsePromDuration(value);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * Many nodes' heartbeats in one request (a hollow fleet's): each beat names its node and carries that
 * node's own credential, which is verified like a bearer token. Unknown fields are refused.
 */
export const heartbeatBatchInput = strictObject({
    beats: z
      .array(strictObject({ nodeId: nodeIdSchema, token: text(256).min(1, "must not be empty"), report: heartbeatInput.omit({ nodeId: true }) }))
      .min(1, "must carry at least one beat")
      .max(1000, "at most 1000 beats per call"),
  });

/** Many nodes' registrations in one call (a hollow fleet); each carries its node's own credential. */
export const registerBatchInput = strictObject({
  nodes: z
    .array(strictObject({ nodeId: nodeIdSchema, token: text(256).min(1, "must not be empty"), kubelet: kubeletEndpoint.optional() }))
    .min(1, "must carry at least one node")
    .max(1000, "at most 1000 nodes per call"),
});
