import { heartbeatBatchInput, heartbeatInput, kubeletEndpoint, nodeIdSchema, registerBatchInput, strictObject, text } from "./schemas.js";
import { agentProcedure, fleetProcedure, router } from "../trpc.js";

// The node id comes from the caller's credential (ctx.nodeId); an id in the input is only checked against it.
export const agentRouter = router({
  register: agentProcedure
    .input(strictObject({ nodeId: nodeIdSchema.optional(), agentVersion: text(64).optional(), kubelet: kubeletEndpoint.optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agents.register(ctx.nodeId, input.kubelet)),
  /** Many nodes' registrations at once (a hollow fleet): each node's own credential is checked, each answered alone. */
  registerBatch: fleetProcedure
    .input(registerBatchInput)
    .mutation(async ({ ctx, input }) => ({ results: await ctx.cp.agents.registerBatch(input.nodes, (id, token) => ctx.cp.auth.verifyNode(id, token)) })),
  heartbeat: agentProcedure.input(heartbeatInput).mutation(({ ctx, input }) => ctx.cp.agents.heartbeat(ctx.nodeId, input)),
  /** Many nodes' beats at once (a hollow fleet); every beat's own credential is checked, each beat answered alone. */
  heartbeatBatch: fleetProcedure
    .input(heartbeatBatchInput)
    .mutation(async ({ ctx, input }) => ({ results: await ctx.cp.agents.heartbeatBatch(input.beats, (id, token) => ctx.cp.auth.verifyNode(id, token)) })),
  leave: agentProcedure
    .input(strictObject({ nodeId: nodeIdSchema.optional(), reason: text(200).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agents.leave(ctx.nodeId, input.reason ?? "agent stopped")),
});
