import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, publicProcedure, router } from "../trpc.js";
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

/**
 * A bootstrap token's holder: checked before the input is read, as agent procedures are. An
 * expired token is told so (with what to do), not just "invalid".
 */
const bootstrapProcedure = publicProcedure.use(({ ctx, next }) => {
  const caller = ctx.caller;
  if (caller.kind !== "bootstrap") {
    const message =
      caller.kind === "anonymous" && caller.why === "missing"
        ? "missing token: pass a bootstrap token (kube9 token create) as a Bearer token"
        : caller.kind === "anonymous"
          ? "invalid bootstrap token (it may have been deleted; kube9 token create makes a new one)"
          : "joining a node needs a bootstrap token (kube9 token create), not this credential";
    throw new TRPCError({ code: caller.kind === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN", message });
  }
  if (ctx.cp.bootstrapTokens.hasExpired(caller.expiresAt)) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: `bootstrap token ${caller.tokenId} expired at ${new Date(caller.expiresAt).toISOString()}; create a new one with kube9 token create --ttl 24h`,
    });
  }
  return next({ ctx: { ...ctx, tokenId: caller.tokenId } });
});

/** Bootstrap tokens (admin) and the join they allow (`kube9 agent join`, nodes on other machines). */
export const tokensRouter = router({
  create: adminProcedure.input(createTokenInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.create(input.ttlMs, input.description ?? "")),
  list: adminProcedure.query(({ ctx }) => ctx.cp.bootstrapTokens.list()),
  delete: adminProcedure.input(tokenIdInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.delete(input.id)),
  /** Registers one node (runtime external) and answers its own credential, which its agent uses from then on. */
  join: bootstrapProcedure.input(joinInput).mutation(({ ctx, input }) => ctx.cp.bootstrapTokens.join(ctx.tokenId, input)),
});
