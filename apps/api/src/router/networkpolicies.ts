import { z } from "zod";
import { namespaceSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

/** NetworkPolicy names are DNS subdomains (dots allowed), as in Kubernetes. */
const policyName = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be no more than 253 characters")
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase RFC 1123 subdomain");

const byName = strictObject({ name: policyName, namespace: namespaceSchema.optional() });

export const networkPoliciesRouter = router({
  /** Policies of one namespace, or of every namespace when none is given. */
  list: adminProcedure
    .input(strictObject({ namespace: namespaceSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.cp.networkPolicies.list(input?.namespace)),
  get: adminProcedure.input(byName).query(({ ctx, input }) => ctx.cp.networkPolicies.get(input.namespace ?? "default", input.name)),
  /** A Kubernetes NetworkPolicy manifest, unchanged (`kube9 apply -f`); `namespace` is kubectl's -n. */
  applyManifest: adminProcedure
    .input(strictObject({ manifest: z.unknown(), namespace: namespaceSchema.optional() }))
    .mutation(({ ctx, input }) => ctx.cp.networkPolicies.apply(input.manifest, input.namespace)),
  delete: adminProcedure.input(byName).mutation(({ ctx, input }) => ctx.cp.networkPolicies.delete(input.namespace ?? "default", input.name)),
});
