import { z } from "zod";
import { heartbeatInput, kubeletEndpoint, nodeIdSchema } from "./schemas.js";
import { agentProcedure, router } from "../trpc.js";

// The node id comes from the caller's credential (ctx.nodeId); an id in the input is only checked against it.
export const agentRouter = router({
  register: agentProcedure
    .input(z.object({ nodeId: nodeIdSchema.optional(), agentVersion: z.string().max(64).optional(), kubelet: kubeletEndpoint.optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agents.register(ctx.nodeId, input.kubelet)),
  heartbeat: agentProcedure.input(heartbeatInput).mutation(({ ctx, input }) => ctx.cp.agents.heartbeat(ctx.nodeId, input)),
  leave: agentProcedure
    .input(z.object({ nodeId: nodeIdSchema.optional(), reason: z.string().max(200).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agents.leave(ctx.nodeId, input.reason ?? "agent stopped")),
});
