import { parsePromDuration } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { formatAge, serialize } from "../output/format.js";
import { renderTable } from "../output/table.js";
import { OUTPUT_HELP, parseOutput } from "../parse.js";

const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 365 * 86_400_000;

/** Reads --ttl: a Prometheus duration from 1m to 365d. */
export function parseTtl(raw: string): number {
  let ms: number;
  try {
    ms = parsePromDuration(raw.trim());
  } catch {
    throw new CliError(`--ttl must be a duration such as 30m, 24h or 7d (got "${raw}")`);
  }
  if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) throw new CliError(`--ttl must be from 1m to 365d (got "${raw}")`);
  return ms;
}

/** Registers `kube9 token create|list|delete`: bootstrap tokens for `kube9 agent join`. */
export function registerTokenCommands(program: Command): void {
  const token = program.command("token").description("bootstrap tokens that let machines join nodes (kube9 agent join), like kubeadm's");

  token
    .command("create")
    .description("create a bootstrap token; it is printed once (only its hash is kept)")
    .option("--ttl <duration>", "how long it may be used to join nodes (1m..365d)", "24h")
    .option("--description <text>", "what it is for, shown by token list")
    .action(async (opts: { ttl: string; description?: string }, cmd: Command) => {
      const ttlMs = parseTtl(opts.ttl);
      await withClient(cmd, async ({ client, conn }) => {
        const created = await client.tokens.create.mutate({ ttlMs, ...(opts.description !== undefined ? { description: opts.description } : {}) });
        print(created.token);
        process.stderr.write(
          `bootstrap token ${created.id} expires ${created.expiresAt}. On the node's machine:\n` +
            `  kube9 agent join --server ${conn.url} --token-file <file holding the token> --cpu <cores> --name <node name>\n`,
        );
      });
    });

  token
    .command("list")
    .description("bootstrap tokens (ids, never the secrets), expired ones included until deleted")
    .option("-o, --output <format>", OUTPUT_HELP)
    .action(async (opts: { output?: string }, cmd: Command) => {
      const output = parseOutput(opts.output);
      await withClient(cmd, async ({ client }) => {
        const tokens = await client.tokens.list.query();
        const text = serialize(output, tokens);
        if (text !== undefined) return print(text);
        if (tokens.length === 0) return print("No bootstrap tokens (kube9 token create makes one).");
        print(
          renderTable(
            ["ID", "EXPIRES", "STATUS", "USES", "LAST USED", "DESCRIPTION"],
            tokens.map((t) => [t.id, t.expiresAt, t.expired ? "expired" : "valid", String(t.uses), t.lastUsedAt ? `${formatAge(t.lastUsedAt)} ago` : "never", t.description || "-"]),
          ),
        );
      });
    });

  token
    .command("delete")
    .argument("<id>", "the token's id (kube9 token list), or the whole token")
    .description("delete a bootstrap token: no more joins with it; joined nodes keep their own credentials")
    .action(async (raw: string, _opts: unknown, cmd: Command) => {
      // The whole token works too: people paste what they were given.
      const id = /^k9b\.([0-9a-f]{6})\./.exec(raw)?.[1] ?? raw;
      if (!/^[0-9a-f]{6}$/.test(id)) throw new CliError(`token id must be 6 hex digits as kube9 token list shows (got "${raw}")`);
      await withClient(cmd, async ({ client }) => {
        await client.tokens.delete.mutate({ id });
        print(`bootstrap token ${id} deleted`);
      });
    });
}
