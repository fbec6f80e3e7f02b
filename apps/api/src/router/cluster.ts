import { z } from "zod";
import { healthPatchInput, policySchema } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const clusterRouter = router({
  status: adminProcedure.query(({ ctx }) => ctx.cp.queries.clusterStatus()),
  setAlgorithm: adminProcedure
    .input(z.object({ algorithm: policySchema }))
    .mutation(({ ctx, input }) => ctx.cp.cluster.setAlgorithm(input.algorithm)),
  setHealth: adminProcedure.input(healthPatchInput).mutation(({ ctx, input }) => ctx.cp.cluster.setHealth(input)),
});
