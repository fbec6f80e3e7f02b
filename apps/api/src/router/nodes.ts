import { z } from "zod";
import { addNodeInput, byName, nodeStatusSchema } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const nodesRouter = router({
  list: adminProcedure
    .input(z.object({ status: z.array(nodeStatusSchema).optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.listNodes(input?.status)),
  get: adminProcedure.input(byName).query(({ ctx, input }) => ctx.cp.describeNode(input.name)),
  add: adminProcedure.input(addNodeInput).mutation(({ ctx, input }) => ctx.cp.addNode(input)),
  remove: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.removeNode(input.name)),
  fail: adminProcedure
    .input(byName.extend({ mode: z.enum(["kill", "pause"], { error: "must be kill or pause" }).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.failNode(input.name, input.mode ?? "kill")),
  recover: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.recoverNode(input.name)),
});
