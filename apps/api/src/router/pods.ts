import { z } from "zod";
import { applyInput, byNamespacedName, deletePodInput, execInput, launchManyInput, launchPodInput, labelsSchema, logsInput, nameSchema, namespaceSchema, podStatusSchema, strictObject } from "./schemas.js";
import { adminProcedure, errorAnswer, router } from "../trpc.js";
import type { Logger } from "../logger.js";
import type { LaunchResult } from "../services/pod-service.js";
import { hubFor } from "../watch-hub.js";
import { answering } from "./subscriptions.js";
import { tracked } from "@trpc/server";
import type { PodDTO } from "../dto.js";

export const podsRouter = router({
  list: adminProcedure
    .input(
      strictObject({ status: z.array(podStatusSchema).optional(), nodeName: nameSchema.optional(), namespace: namespaceSchema.optional() })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.cp.queries.listPods(input ?? {})),
  /** Pods a page at a time (creation order): limit + continue, as Kubernetes lists and nodes.page. */
  page: adminProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(5000),
          continue: z.string().min(1).max(64).optional(),
          status: z.array(podStatusSchema).optional(),
          nodeName: nameSchema.optional(),
          namespace: namespaceSchema.optional(),
        })
        .strict(),
    )
    .query(({ ctx, input }) => ctx.cp.queries.pagePods(input)),
  get: adminProcedure.input(byNamespacedName).query(({ ctx, input }) => ctx.cp.queries.describePod(input.name, input.namespace)),
  launch: adminProcedure.input(launchPodInput).mutation(({ ctx, input }) => ctx.cp.pods.launch(input)),
  /** Many pods in one call (up to 1,000), each launched as `launch` would; results in item order. */
  launchMany: adminProcedure
    .input(launchManyInput)
    .mutation(async ({ ctx, input }) => launchManyAnswer(await ctx.cp.pods.launchMany(input.items), ctx.cp.log)),
  /** Creates a pod from a Kubernetes Pod manifest (`kube9 apply -f`; "apply" itself is a reserved name in tRPC routers). */
  applyManifest: adminProcedure
    .input(applyInput.extend({ namespace: namespaceSchema.optional() }))
    .mutation(({ ctx, input }) => ctx.cp.pods.apply(input.manifest, input.namespace)),
  /** Replaces the pod's labels (kubectl label pod). */
  setLabels: adminProcedure
    .input(strictObject({ name: nameSchema, namespace: namespaceSchema.optional(), labels: labelsSchema }))
    .mutation(({ ctx, input }) => ctx.cp.pods.label(input.name, input.labels, input.namespace)),
  delete: adminProcedure.input(deletePodInput).mutation(({ ctx, input }) => ctx.cp.pods.delete(input.name, input.gracePeriodSeconds, input.namespace)),
  /** A container's log lines, from its node's kubelet. */
  logs: adminProcedure.input(logsInput).query(({ ctx, input }) => ctx.cp.kubelets.logs(input)),
  /** Follows a container's log (SSE) until the client stops or the container's run ends. */
  logsFollow: adminProcedure.input(logsInput.omit({ previous: true })).subscription(async function* ({ ctx, input, signal }) {
    yield* ctx.cp.kubelets.follow(input, signal);
  }),
  /** Runs a command in a container; its exit code comes back. */
  exec: adminProcedure.input(execInput).mutation(({ ctx, input }) => ctx.cp.kubelets.exec(input.name, input.container, input.command, input.namespace)),
  /** Live pod changes (SSE): a snapshot, then each changed pod (a deleted pod comes as Terminating); resumes from lastEventId. */
  watch: adminProcedure
    .input(strictObject({ lastEventId: z.string().max(64).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const hub = hubFor(ctx.cp);
      for await (const m of answering(hub.watch<PodDTO>("pod", input?.lastEventId, () => ctx.cp.queries.listPods({}), signal))) {
        yield tracked(m.id, m.data);
      }
    }),
});

/** Per-item answers as a single launch would give them, with counts; internal errors are logged like a failed call's. */
function launchManyAnswer(results: LaunchResult[], log: Logger) {
  let scheduled = 0;
  let failed = 0;
  const items = results.map((r) => {
    if (r.ok) {
      if (r.launched.scheduled) scheduled++;
      return { ok: true as const, ...r.launched };
    }
    failed++;
    const error = errorAnswer(r.error);
    if (error.code === "INTERNAL_SERVER_ERROR") log.error("procedure pods.launchMany failed for an item", { err: String(r.error), stack: (r.error as Error)?.stack });
    return { ok: false as const, error };
  });
  return { results: items, scheduled, pending: results.length - scheduled - failed, failed };
}
