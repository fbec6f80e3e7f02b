import { CONTROL_PLANE_RUNTIMES } from "@kube9/core";
import { z } from "zod";

// Empty strings in the environment mean "unset", as in most shells' `VAR= cmd`.
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const envSchema = z.object({
  KUBE9_HOME: optional(z.string()),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  KUBE9_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  KUBE9_HOST: optional(z.string()),
  KUBE9_RUNTIME: optional(z.enum(CONTROL_PLANE_RUNTIMES)),
  KUBE9_ADMIN_TOKEN: optional(z.string().min(16, "must be at least 16 characters")),
  KUBE9_LOG_LEVEL: optional(z.enum(["error", "warn", "info", "debug"])),
  KUBE9_AGENT_ENTRY: optional(z.string()),
  HOME: optional(z.string()),
});

export type Env = z.infer<typeof envSchema>;

/** Reads and checks the API's environment once; throws one readable line per bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment: ${lines.join("; ")}`);
  }
  return parsed.data;
}
