import { LABEL_KEY_PATTERN, LABEL_KEY_RULE, LABEL_VALUE_PATTERN, LABEL_VALUE_RULE, MAX_LABEL_LENGTH, NAME_RULE } from "@kube9/core";
import { LIMITS, NODE_ROLES, NODE_STATUSES, POD_STATUSES, POLICY_NAMES, RUNTIME_KINDS } from "@kube9/core";
import { z } from "zod";

/** Object names: Kubernetes DNS-label style. */
export const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(LIMITS.maxNameLength, `must be at most ${LIMITS.maxNameLength} characters`)
  .regex(LIMITS.namePattern, `must be ${NAME_RULE}`);

/** CPU as users speak it: cores, fractions allowed down to one millicore. */
export const cpuSchema = z
  .number({ error: "must be a number of cores" })
  .min(0.001, `must be > 0 (at least 0.001) and <= ${LIMITS.maxCpuCores} cores`)
  .max(LIMITS.maxCpuCores, `must be > 0 (at least 0.001) and <= ${LIMITS.maxCpuCores} cores`);

/** Memory in whole MiB. */
export const memorySchema = z
  .number({ error: "must be a number of MiB" })
  .int("must be a whole number of MiB")
  .min(0, `must be between 0 and ${LIMITS.maxMemoryMiB} MiB (4 TiB)`)
  .max(LIMITS.maxMemoryMiB, `must be between 0 and ${LIMITS.maxMemoryMiB} MiB (4 TiB)`);

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

export const launchPodInput = z.object({
  name: nameSchema.optional(),
  cpu: cpuSchema,
  memoryMiB: memorySchema.optional(),
  algorithm: policySchema.optional(),
  labels: labelsSchema.optional(),
  nodeSelector: labelsSchema.optional(),
});

export const byName = z.object({ name: nameSchema });

export const heartbeatInput = z.object({
  nodeId: nodeIdSchema,
  podIds: z.array(z.string().max(64)).max(10_000),
  usage: z.object({ cpuMilli: z.number().min(0).max(1e9), memoryMiB: z.number().min(0).max(1e9) }),
  components: z.record(z.string().max(64), z.enum(["Healthy", "Unhealthy"])),
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
  })
  .partial();
