import { z } from "zod";
import { applyInput, labelsSchema, namespaceSchema, strictObject } from "./schemas.js";
import { adminProcedure, router } from "../trpc.js";

const byNamespace = strictObject({ name: namespaceSchema });

export const namespacesRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.cp.namespaces.list()),
  get: adminProcedure.input(byNamespace).query(({ ctx, input }) => ctx.cp.namespaces.get(input.name)),
  create: adminProcedure
    .input(strictObject({ name: namespaceSchema, labels: labelsSchema.optional() }))
    .mutation(({ ctx, input }) => ctx.cp.namespaces.create(input.name, input.labels)),
  /** Replaces the namespace's labels (kubernetes.io/metadata.name is always the name and cannot be set otherwise). */
  setLabels: adminProcedure
    .input(strictObject({ name: namespaceSchema, labels: labelsSchema }))
    .mutation(({ ctx, input }) => ctx.cp.namespaces.label(input.name, input.labels)),
  /** A Kubernetes Namespace manifest (`kube9 apply -f`). */
  applyManifest: adminProcedure.input(applyInput).mutation(({ ctx, input }) => ctx.cp.namespaces.apply(input.manifest)),
  /** Deletes the namespace with its pods (gracefully) and network policies. */
  delete: adminProcedure.input(byNamespace).mutation(({ ctx, input }) => ctx.cp.namespaces.delete(input.name)),
});
