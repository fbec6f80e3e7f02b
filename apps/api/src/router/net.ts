import { z } from "zod";
import { nameSchema, namespaceSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

const port = z.number().int().min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535");
const podRef = strictObject({ namespace: namespaceSchema.optional(), name: nameSchema });

export const netRouter = router({
  /** Real TCP connections from every selected pod to every selected pod: the reachability matrix per port. */
  probe: adminProcedure
    .input(
      strictObject({
          /** Omitted: every namespace. */
          namespaces: z.array(namespaceSchema).min(1).max(100).optional(),
          selector: z.string().max(1024).optional(),
          ports: z.array(port).min(1).max(8).default([80]),
          timeoutMs: z.number().int().min(50).max(10_000).default(1000),
          expect: z.boolean().default(false),
        }),
    )
    .mutation(({ ctx, input }) => ctx.cp.net.probe(input)),
  /** Which policies select each side of a connection and which rule allows it, or why nothing does. */
  explain: adminProcedure
    .input(strictObject({ from: podRef, to: podRef, port, protocol: z.literal("TCP").default("TCP") }))
    .query(({ ctx, input }) =>
      ctx.cp.net.explain(
        { namespace: input.from.namespace ?? "default", name: input.from.name },
        { namespace: input.to.namespace ?? "default", name: input.to.name },
        input.port,
      ),
    ),
});
