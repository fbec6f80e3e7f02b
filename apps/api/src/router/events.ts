import { z } from "zod";
import { nameSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";
import { hubFor } from "../watch-hub.js";
import { answering } from "./subscriptions.js";
import { tracked } from "@trpc/server";

export const eventsRouter = router({
  list: adminProcedure
    .input(
      strictObject({
          afterId: z.number().int().min(0).optional(),
          limit: z.number().int().min(1).max(1000).optional(),
          objectName: nameSchema.optional(),
          /** The namespace of a pod named by objectName (default "default"). */
          namespace: nameSchema.optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.cp.queries.listEvents(input ?? {})),
  /** Live events (SSE), each tracked by its id; lastEventId replays the stored events after it first. */
  watch: adminProcedure
    .input(strictObject({ lastEventId: z.string().max(32).nullish(), objectName: nameSchema.optional() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const m of answering(hubFor(ctx.cp).watchEvents(input?.lastEventId, input?.objectName, signal))) {
        yield tracked(m.id, m.data);
      }
    }),
});
