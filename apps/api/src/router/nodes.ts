import { z } from "zod";

/** A kubectl label selector (`tier=web,zone in (a,b)`); parsed by core, which names what is wrong. */
const selectorSchema = z.string().max(1024);
import { addNodeInput, byName, joinNodesInput, nodeStatusSchema, runtimeSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";
import { hubFor } from "../watch-hub.js";
import { answering } from "./subscriptions.js";
import { tracked } from "@trpc/server";
import type { NodeDTO } from "../dto.js";

export const nodesRouter = router({
  list: adminProcedure
    .input(strictObject({ status: z.array(nodeStatusSchema).optional(), selector: selectorSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.queries.listNodes(input?.status, input?.selector)),
  /** Nodes a page at a time (registration order), for clusters of thousands: limit + continue, as Kubernetes lists. */
  page: adminProcedure
    .input(
      strictObject({
          limit: z.number().int().min(1).max(5000),
          continue: z.string().min(1).max(64).optional(),
          status: z.array(nodeStatusSchema).optional(),
          selector: selectorSchema.optional(),
        }),
    )
    .query(({ ctx, input }) => ctx.cp.queries.pageNodes(input)),
  get: adminProcedure.input(byName).query(({ ctx, input }) => ctx.cp.queries.describeNode(input.name)),
  add: adminProcedure.input(addNodeInput).mutation(({ ctx, input }) => ctx.cp.nodes.add(input)),
  /** Nodes whose agents run elsewhere (a hollow fleet): records and credentials, no agents started. */
  join: adminProcedure.input(joinNodesInput).mutation(async ({ ctx, input }) => ({ nodes: await ctx.cp.nodes.join(input.nodes) })),
  remove: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.nodes.remove(input.name)),
  fail: adminProcedure
    .input(byName.extend({ mode: z.enum(["kill", "pause"], { error: "must be kill or pause" }).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.nodes.fail(input.name, input.mode ?? "kill")),
  recover: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.nodes.recover(input.name)),
  runtimeStatus: adminProcedure
    .input(strictObject({ runtime: runtimeSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.nodes.runtimeStatus(input?.runtime)),
  prepareRuntime: adminProcedure
    .input(strictObject({ runtime: runtimeSchema.optional() }).optional())
    .mutation(({ ctx, input }) => ctx.cp.nodes.prepareRuntime(input?.runtime)),
  /** Live node changes (SSE): a snapshot, then each changed node; resumes from lastEventId. */
  watch: adminProcedure
    .input(strictObject({ lastEventId: z.string().max(64).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const hub = hubFor(ctx.cp);
      for await (const m of answering(hub.watch<NodeDTO>("node", input?.lastEventId, async () => ctx.cp.queries.listNodes(), signal))) {
        yield tracked(m.id, m.data);
      }
    }),
});
