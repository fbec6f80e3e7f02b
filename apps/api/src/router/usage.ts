import { z } from "zod";
import { nameSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

const time = z.number().int().min(0).max(8.64e15);

/** Which series: one node, one pod, or the cluster as a whole. */
const usageTarget = z.discriminatedUnion("kind", [
  strictObject({ kind: z.literal("node"), name: nameSchema }),
  strictObject({ kind: z.literal("pod"), name: nameSchema, namespace: nameSchema.optional() }),
  strictObject({ kind: z.literal("cluster") }),
]);

export const usageRange = z
  .object({
    target: usageTarget,
    /** Start (ms since the epoch); default 15 minutes before `to`. */
    from: time.optional(),
    /** End (ms); default now. */
    to: time.optional(),
    stepSeconds: z.number().int().min(1).max(86_400).optional(),
  });

/** Measured use (like the metrics.k8s.io API, plus history): latest per node and pod, and ranges. */
export const usageRouter = router({
  nodes: adminProcedure.query(({ ctx }) => ctx.cp.usage.nodes()),
  pods: adminProcedure.query(({ ctx }) => ctx.cp.usage.pods()),
  range: adminProcedure.input(usageRange).query(({ ctx, input }) => ctx.cp.usage.range(input.target, input)),
});
