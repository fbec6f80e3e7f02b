import { z } from "zod";
import { healthPatchInput, policySchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const clusterRouter = router({
  status: adminProcedure.query(({ ctx }) => ctx.cp.queries.clusterStatus()),
  setAlgorithm: adminProcedure
    .input(strictObject({ algorithm: policySchema }))
    .mutation(({ ctx, input }) => ctx.cp.cluster.setAlgorithm(input.algorithm)),
  setHealth: adminProcedure.input(healthPatchInput).mutation(({ ctx, input }) => ctx.cp.cluster.setHealth(input)),
});
