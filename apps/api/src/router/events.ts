import { z } from "zod";
import { nameSchema } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const eventsRouter = router({
  list: adminProcedure
    .input(
      z
        .object({
          afterId: z.number().int().min(0).optional(),
          limit: z.number().int().min(1).max(1000).optional(),
          objectName: nameSchema.optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.cp.listEvents(input ?? {})),
});
