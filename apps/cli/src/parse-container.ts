import type { Command } from "commander";
import {
  LIMITS,
  parseCpuQuantity,
  parseMemoryQuantity,
  QuantityError,
  RESTART_POLICIES,
  type RestartPolicy,
} from "@kube9/client";
import { CliError } from "./errors.js";
import { parseChoice } from "./parse.js";

// The kubectl-style flags: containers for `pod launch`, and the `-- <command...>` that `exec` and
// `pod launch` take.

// Kubernetes' rule for environment variable names (C_IDENTIFIER is stricter; this is what the API accepts).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** What `pod launch --image ...` adds to the launch input. */
export interface ContainerInput {
  image?: string;
  command?: string[];
  limitCpu?: number;
  limitMemoryMiB?: number;
  restartPolicy?: RestartPolicy;
  env?: Record<string, string>;
}

/** The container flags of `pod launch` as commander hands them over. */
export interface ContainerFlags {
  image?: string;
  limitCpu?: string;
  limitMemory?: string;
  restart?: string;
  env?: string[];
}

/** Reads a quantity with core's parser; its complaint is worded after the flag. */
function readQuantity(raw: string, flag: string, parse: (q: string) => number): number {
  try {
    return parse(raw.trim());
  } catch (err) {
    if (err instanceof QuantityError) throw new CliError(`${flag} ${err.detail} (got "${raw}")`);
    throw err;
  }
}

/** Reads a CPU limit as a Kubernetes quantity ("500m", "1.5") into cores. */
export function parseCpuLimit(raw: string, flag = "--limit-cpu"): number {
  const milli = readQuantity(raw, flag, parseCpuQuantity);
  if (milli < 1 || milli > LIMITS.maxCpuCores * 1000) {
    throw new CliError(`${flag} must be more than 0 and at most ${LIMITS.maxCpuCores} cores (got "${raw}")`);
  }
  return milli / 1000;
}

/** Reads a memory limit as a Kubernetes quantity ("128Mi", "1G") into MiB. */
export function parseMemoryLimit(raw: string, flag = "--limit-memory"): number {
  const mib = readQuantity(raw, flag, parseMemoryQuantity);
  if (mib < 1 || mib > LIMITS.maxMemoryMiB) {
    throw new CliError(`${flag} must be more than 0 and at most ${LIMITS.maxMemoryMiB}Mi (got "${raw}")`);
  }
  return mib;
}

/** Turns repeated `--env NAME=value` into a record; the value may itself contain "=". */
export function parseEnv(raws: readonly string[], flag = "--env"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of raws) {
    const eq = raw.indexOf("=");
    if (eq <= 0) throw new CliError(`${flag} must be NAME=value (got "${raw}")`);
    const name = raw.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      throw new CliError(`${flag} name must be letters, digits, '_', '-' or '.', not starting with a digit (got "${name}")`);
    }
    if (Object.hasOwn(out, name)) throw new CliError(`${flag} ${name} is given twice`);
    out[name] = raw.slice(eq + 1);
  }
  return out;
}

/** Parses `--restart`, with kubectl's spellings. */
export function parseRestart(raw: string): RestartPolicy {
  return parseChoice(raw, RESTART_POLICIES, "--restart");
}

/**
 * The container part of a launch. Container flags without --image are refused: a pod without an image is
 * a placeholder that runs nothing, so a limit or a command on it would be silently meaningless.
 */
export function parseContainerFlags(opts: ContainerFlags, command: readonly string[]): ContainerInput {
  const given = [
    opts.limitCpu !== undefined && "--limit-cpu",
    opts.limitMemory !== undefined && "--limit-memory",
    opts.restart !== undefined && "--restart",
    opts.env !== undefined && "--env",
    command.length > 0 && "-- <command>",
  ].filter((f): f is string => typeof f === "string");
  if (opts.image === undefined) {
    if (given.length) throw new CliError(`${given.join(", ")} need${given.length === 1 ? "s" : ""} --image`);
    return {};
  }
  const image = opts.image.trim();
  if (!image) throw new CliError("--image must not be empty");
  return {
    image,
    ...(command.length ? { command: [...command] } : {}),
    ...(opts.limitCpu !== undefined ? { limitCpu: parseCpuLimit(opts.limitCpu) } : {}),
    ...(opts.limitMemory !== undefined ? { limitMemoryMiB: parseMemoryLimit(opts.limitMemory) } : {}),
    ...(opts.restart !== undefined ? { restartPolicy: parseRestart(opts.restart) } : {}),
    ...(opts.env ? { env: parseEnv(opts.env) } : {}),
  };
}

/** The arguments after the first bare `--` of argv, or undefined when there is none. */
export function afterDashDash(argv: readonly string[]): string[] | undefined {
  const at = argv.indexOf("--");
  return at < 0 ? undefined : argv.slice(at + 1);
}

/**
 * The `-- <command...>` of the command line being run. Commander hands over operands from before and
 * after `--` alike, so the raw argv of the root command is read to know which came after it.
 */
export function commandAfterDashDash(cmd: Command): string[] | undefined {
  let root = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  return afterDashDash(raw);
}
