import { z } from "zod";
import { byName, launchPodInput, nameSchema, podStatusSchema } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";
import { hubFor } from "../watch-hub.js";
import { tracked } from "@trpc/server";
import type { PodDTO } from "../dto.js";

export const podsRouter = router({
  list: adminProcedure
    .input(z.object({ status: z.array(podStatusSchema).optional(), nodeName: nameSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.queries.listPods(input ?? {})),
  get: adminProcedure.input(byName).query(({ ctx, input }) => ctx.cp.queries.describePod(input.name)),
  launch: adminProcedure.input(launchPodInput).mutation(({ ctx, input }) => ctx.cp.pods.launch(input)),
  delete: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.pods.delete(input.name)),
  /** Live pod changes (SSE): a snapshot, then each changed pod (a deleted pod comes as Terminating); resumes from lastEventId. */
  watch: adminProcedure
    .input(z.object({ lastEventId: z.string().max(64).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const hub = hubFor(ctx.cp);
      for await (const m of hub.watch<PodDTO>("pod", input?.lastEventId, () => ctx.cp.queries.listPods({}), signal)) {
        yield tracked(m.id, m.data);
      }
    }),
});
