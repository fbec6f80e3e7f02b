import { publicProcedure, router } from "../trpc.js";

export const healthRouter = router({
  check: publicProcedure.query(({ ctx }) => ctx.cp.queries.healthCheck()),
});
