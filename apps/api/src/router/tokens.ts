import { z } from "zod";
import { adminProcedure, bootstrapProcedure, router } from "../trpc.js";
import { cpuSchema, labelsSchema, memorySchema, nameSchema } from "./schemas.js";

/** The longest a bootstrap token may live (kubeadm's default is 24 h; a year covers any planned rollout). */
export const MAX_BOOTSTRAP_TTL_MS = 365 * 86_400_000;

const createTokenInput = z
  .object({
    ttlMs: z
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number of milliseconds")
      .min(60_000, "must be at least 60000 (1 minute)")
      .max(MAX_BOOTSTRAP_TTL_MS, `must be at most ${MAX_BOOTSTRAP_TTL_MS} (365 days)`),
    description: z.string().max(200, "must be at most 200 characters").regex(/^[^\p{Cc}]*$/u, "must not contain control characters").optional(),
  })
  .strict();

const tokenIdInput = z.object({ id: z.string().regex(/^[0-9a-f]{6}$/, "must be a bootstrap token id: 6 hex digits, as kube9 token list shows") }).strict();

const joinInput = z.object({ name: nameSchema, cpu: cpuSchema, memoryMiB: memorySchema.optional(), labels: labelsSchema.optional() }).strict();

/** Bootstrap tokens (admin) and the join they allow (`kube9 agent join`, nodes on other machines). */
export const tokensRouter = router({
  create: adminProcedure.input(createTokenInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.create(input.ttlMs, input.description ?? "")),
  list: adminProcedure.query(({ ctx }) => ctx.cp.bootstrapTokens.list()),
  delete: adminProcedure.input(tokenIdInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.delete(input.id)),
  /** Registers one node (runtime external) and answers its own credential, which its agent uses from then on. */
  join: bootstrapProcedure.input(joinInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.join(ctx.tokenId, input)),
});
