import type { Command } from "commander";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { readTokenFlags, resolveConnection, type Connection } from "./config.js";
import { toCliError } from "./errors.js";
import { sanitizeForTerminal } from "./output/sanitize.js";

/** What every API-backed command needs: the client and where its settings came from. */
export interface Ctx {
  client: Kube9Client;
  conn: Connection;
}

/** Runs `fn` with a client built from the global flags/env/config; errors leave with the connection in context. */
export async function withClient<T>(cmd: Command, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const globals = cmd.optsWithGlobals<{ server?: string; token?: string; tokenFile?: string }>();
  const token = readTokenFlags(globals) ?? globals.token;
  const conn = resolveConnection({ server: globals.server, token }, process.env);
  const client = createKube9Client({ url: conn.url, ...(conn.token ? { token: conn.token } : {}) });
  try {
    return await fn({ client, conn });
  } catch (err) {
    throw toCliError(err, conn);
  }
}

/** Writes one block of output to stdout with a trailing newline. */
export function print(raw: string): void {
  const text = sanitizeForTerminal(raw);
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}
