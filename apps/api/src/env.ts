import { CONTROL_PLANE_RUNTIMES, DEFAULT_HOLLOW_USAGE, parseHollowUsage, type HollowUsageOptions } from "@kube9/core";
import { z } from "zod";

// Empty strings in the environment mean "unset", as in most shells' `VAR= cmd`.
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** `cpu=0.5,memory=0.6,noise=0.1`: how hollow nodes make up their pods' use (core's parseHollowUsage says what is allowed). */
const hollowUsage = z.string().transform((text, ctx): HollowUsageOptions => {
  const parsed = parseHollowUsage(text);
  if (parsed.ok) return parsed.options;
  ctx.addIssue({ code: "custom", message: parsed.error });
  return z.NEVER;
});

const envSchema = z.object({
  KUBE9_HOME: optional(z.string()),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  KUBE9_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  KUBE9_HOST: optional(z.string()),
  KUBE9_RUNTIME: optional(z.enum(CONTROL_PLANE_RUNTIMES)),
  KUBE9_ADMIN_TOKEN: optional(z.string().min(16, "must be at least 16 characters")),
  KUBE9_LOG_LEVEL: optional(z.enum(["error", "warn", "info", "debug"])),
  KUBE9_AGENT_ENTRY: optional(z.string()),
  KUBE9_HOLLOW_USAGE: optional(hollowUsage),
  KUBE9_PROTECT_METRICS: optional(z.enum(["0", "1", "false", "true"], "must be 1 or true (on), 0 or false (off)").transform((v) => v === "1" || v === "true")),
  HOME: optional(z.string()),
});

export type Env = z.infer<typeof envSchema>;

/** One readable line per bad variable. */
function envError(error: z.ZodError): Error {
  const lines = error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  return new Error(`invalid environment: ${lines.join("; ")}`);
}

/** Reads and checks the API's environment once; throws one readable line per bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw envError(parsed.error);
  return parsed.data;
}

/** KUBE9_HOLLOW_USAGE alone, for the hollow runtime wherever the API starts (core's defaults when unset); throws as readEnv does. */
export function readHollowUsage(source: NodeJS.ProcessEnv = process.env): HollowUsageOptions {
  const parsed = envSchema.pick({ KUBE9_HOLLOW_USAGE: true }).safeParse(source);
  if (!parsed.success) throw envError(parsed.error);
  return parsed.data.KUBE9_HOLLOW_USAGE ?? { ...DEFAULT_HOLLOW_USAGE };
}
