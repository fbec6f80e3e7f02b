import { z } from "zod";
import { byName, launchPodInput, nameSchema, podStatusSchema } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const podsRouter = router({
  list: adminProcedure
    .input(z.object({ status: z.array(podStatusSchema).optional(), nodeName: nameSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.listPods(input ?? {})),
  get: adminProcedure.input(byName).query(({ ctx, input }) => ctx.cp.describePod(input.name)),
  launch: adminProcedure.input(launchPodInput).mutation(({ ctx, input }) => ctx.cp.launchPod(input)),
  delete: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.deletePod(input.name)),
});
