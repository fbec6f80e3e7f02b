import { z } from "zod";
import { heartbeatInput, nodeIdSchema } from "../schemas.js";
import { agentProcedure, router } from "../trpc.js";

export const agentRouter = router({
  register: agentProcedure
    .input(z.object({ nodeId: nodeIdSchema, agentVersion: z.string().max(64).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agentRegister(input.nodeId)),
  heartbeat: agentProcedure.input(heartbeatInput).mutation(({ ctx, input }) => ctx.cp.agentHeartbeat(input)),
  leave: agentProcedure
    .input(z.object({ nodeId: nodeIdSchema, reason: z.string().max(200).optional() }))
    .mutation(({ ctx, input }) => ctx.cp.agentLeave(input.nodeId, input.reason ?? "agent stopped")),
});
