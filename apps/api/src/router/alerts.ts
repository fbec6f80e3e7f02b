import { z } from "zod";
import { adminProcedure, router } from "../trpc.js";
import { promDurationSchema, strictObject, key, text } from "./schemas.js";

const ruleName = text(128).min(1, "must not be empty");

const duration = promDurationSchema;

const stringMap = z.record(key(128), text(4096)).refine((m) => Object.keys(m).length <= 32, "at most 32 entries");

/** Where notifications go: an http(s) URL, or null to stop sending. */
const webhookUrl = z
  .string()
  .max(2000)
  .url("must be an http:// or https:// URL")
  .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// URL")
  .nullable();

/** Alerts (Prometheus alerting-rule semantics), their rules, and the webhook receiver. */
export const alertsRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.cp.alerts.alerts()),
  rules: adminProcedure.query(({ ctx }) => ctx.cp.alerts.rules()),
  setRule: adminProcedure
    .input(
      strictObject({
          name: ruleName,
          threshold: z.number().finite().optional(),
          for: duration.optional(),
          enabled: z.boolean().optional(),
          expr: text(1024).min(1, "must not be empty").optional(),
          labels: stringMap.optional(),
          annotations: stringMap.optional(),
        }),
    )
    .mutation(({ ctx, input }) => {
      const { name, for: forMs, ...rest } = input;
      return ctx.cp.alerts.setRule(name, { ...rest, ...(forMs !== undefined ? { forMs } : {}) });
    }),
  applyRules: adminProcedure.input(strictObject({ manifest: z.unknown() })).mutation(({ ctx, input }) => ctx.cp.alerts.apply(input.manifest)),
  deleteRule: adminProcedure.input(strictObject({ name: ruleName })).mutation(({ ctx, input }) => ctx.cp.alerts.deleteRule(input.name)),
  webhook: adminProcedure.query(({ ctx }) => ctx.cp.alerts.webhook()),
  setWebhook: adminProcedure.input(strictObject({ url: webhookUrl })).mutation(({ ctx, input }) => ctx.cp.alerts.setWebhook(input.url)),
});
