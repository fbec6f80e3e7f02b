import { EXPANDERS } from "@kube9/core";
import { z } from "zod";
import { cpuSchema, labelsSchema, memorySchema, nameSchema, promDurationSchema, runtimeSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

const size = z.number().int().min(0).max(1000);

const duration = promDurationSchema;

/** The settings flags of `kube9 nodegroup create` (the rest default; a manifest sets any). */
const settingsInput = z
  .object({
    scaleUpDelay: duration.optional(),
    unneededTime: duration.optional(),
    lowWaterMark: z.number().min(0).max(1).optional(),
    highWaterMark: z.number().min(0).max(1).optional(),
    highDuration: duration.optional(),
    loadMetric: z.enum(["usage", "allocation", "both"]).optional(),
    scaleDownDelayAfterAdd: duration.optional(),
    maxScaleDownParallel: z.number().int().min(1).max(100).optional(),
    nodeReadyTimeout: duration.optional(),
  });

export const createNodeGroupInput = z
  .object({
    name: nameSchema,
    min: size,
    max: size,
    cpu: cpuSchema,
    memoryMiB: memorySchema.optional(),
    runtime: runtimeSchema.optional(),
    labels: labelsSchema.optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    settings: settingsInput.optional(),
  });

/** Node groups the autoscaler keeps between min and max. */
export const nodeGroupsRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.cp.nodeGroups.list()),
  get: adminProcedure.input(strictObject({ name: nameSchema })).query(({ ctx, input }) => ctx.cp.nodeGroups.get(input.name)),
  manifest: adminProcedure.input(strictObject({ name: nameSchema })).query(({ ctx, input }) => ctx.cp.nodeGroups.manifest(input.name)),
  create: adminProcedure.input(createNodeGroupInput).mutation(({ ctx, input }) => {
    const { settings, ...rest } = input;
    const s = settings ?? {};
    return ctx.cp.nodeGroups.create({
      ...rest,
      settings: {
        ...(s.scaleUpDelay !== undefined ? { scaleUpDelayMs: s.scaleUpDelay } : {}),
        ...(s.unneededTime !== undefined ? { unneededTimeMs: s.unneededTime } : {}),
        ...(s.lowWaterMark !== undefined ? { lowWaterMark: s.lowWaterMark } : {}),
        ...(s.highWaterMark !== undefined ? { highWaterMark: s.highWaterMark } : {}),
        ...(s.highDuration !== undefined ? { highDurationMs: s.highDuration } : {}),
        ...(s.loadMetric !== undefined ? { loadMetric: s.loadMetric } : {}),
        ...(s.scaleDownDelayAfterAdd !== undefined ? { scaleDownDelayAfterAddMs: s.scaleDownDelayAfterAdd } : {}),
        ...(s.maxScaleDownParallel !== undefined ? { maxScaleDownParallel: s.maxScaleDownParallel } : {}),
        ...(s.nodeReadyTimeout !== undefined ? { nodeReadyTimeoutMs: s.nodeReadyTimeout } : {}),
      },
    });
  }),
  /** Creates or changes a group from a NodeGroup manifest (kube9.io/v1). */
  applyManifest: adminProcedure.input(strictObject({ manifest: z.unknown() })).mutation(({ ctx, input }) => ctx.cp.nodeGroups.apply(input.manifest)),
  scale: adminProcedure.input(strictObject({ name: nameSchema, size })).mutation(({ ctx, input }) => ctx.cp.nodeGroups.scale(input.name, input.size)),
  delete: adminProcedure.input(strictObject({ name: nameSchema })).mutation(({ ctx, input }) => ctx.cp.nodeGroups.delete(input.name)),
});

/** The autoscaler's view and its cluster-wide setting. */
export const autoscalerRouter = router({
  status: adminProcedure.query(({ ctx }) => ctx.cp.autoscaler.status()),
  setExpander: adminProcedure
    .input(strictObject({ expander: z.enum(EXPANDERS, { error: `must be one of ${EXPANDERS.join(", ")}` }) }))
    .mutation(({ ctx, input }) => ctx.cp.setExpander(input.expander)),
});
