import {
  isValidLabelKey,
  isValidLabelValue,
  isValidName,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  LIMITS,
  NAME_RULE,
  NODE_ROLES,
  NODE_STATUSES,
  POD_STATUSES,
  POLICY_NAMES,
  RUNTIME_KINDS,
  type NodeRole,
  type NodeStatus,
  type PodStatus,
  type PolicyName,
  type RuntimeKind,
} from "@kube9/client";
import { CliError } from "./errors.js";

// Plain decimals only: Number() would also accept "0x10", "1e3", " " and "Infinity".
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** Parses a CPU amount in cores ("2", "0.5", or kubectl-style "500m"); rejects anything the API would. */
export function parseCores(raw: string, flag = "--cpu"): number {
  const fail = () =>
    new CliError(`${flag} must be a number of cores > 0 and <= ${LIMITS.maxCpuCores} (got "${raw}")`);
  const text = raw.trim();
  let cores: number;
  if (/^\d+m$/.test(text)) cores = Number(text.slice(0, -1)) / 1000;
  else if (DECIMAL.test(text)) cores = Number(text);
  else throw fail();
  if (!(cores > 0) || cores > LIMITS.maxCpuCores) throw fail();
  // Storage is in whole millicores, so 0.0004 would silently become 0.
  if (Math.round(cores * 1000) < 1) {
    throw new CliError(`${flag} must be at least 0.001 cores (1m) (got "${raw}")`);
  }
  return cores;
}

/** Parses memory in MiB ("512", or with a Mi/Gi suffix: "512Mi", "2Gi"); 0 is allowed, as the API allows it. */
export function parseMemory(raw: string, flag = "--memory"): number {
  const fail = () =>
    new CliError(`${flag} must be a whole number of MiB from 0 to ${LIMITS.maxMemoryMiB} (got "${raw}")`);
  const m = /^(\d+)(Mi|Gi)?$/.exec(raw.trim());
  if (!m) throw fail();
  const mib = Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
  if (!Number.isSafeInteger(mib) || mib > LIMITS.maxMemoryMiB) throw fail();
  return mib;
}

/** Checks a node or pod name the same way the API does. */
export function parseName(raw: string, flag = "--name"): string {
  if (!isValidName(raw)) {
    throw new CliError(`${flag} must be ${NAME_RULE}, at most ${LIMITS.maxNameLength} characters (got "${raw}")`);
  }
  return raw;
}

/**
 * The flags `node add` and `pod launch` share, as API input: --cpu always, --memory, --name and --label when
 * given. Each command adds its own flags after these.
 */
export function parseNewObject(opts: { cpu: string; memory?: string; name?: string; label?: string[] }): {
  cpu: number;
  memoryMiB?: number;
  name?: string;
  labels?: Record<string, string>;
} {
  return { cpu: parseCores(opts.cpu), ...parseObjectFlags(opts) };
}

/** --memory, --name and --label as API input, each only when given (a pod with an image may omit --cpu). */
export function parseObjectFlags(opts: { memory?: string; name?: string; label?: string[] }): {
  memoryMiB?: number;
  name?: string;
  labels?: Record<string, string>;
} {
  return {
    ...(opts.memory !== undefined ? { memoryMiB: parseMemory(opts.memory) } : {}),
    ...(opts.name !== undefined ? { name: parseName(opts.name) } : {}),
    ...(opts.label ? { labels: parseLabels(opts.label) } : {}),
  };
}

/** Turns repeated `k=v` flags into a record; a key given twice is an error, not a silent overwrite. */
export function parseLabels(raws: readonly string[], flag = "--label"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of raws) {
    const eq = raw.indexOf("=");
    const key = eq > 0 ? raw.slice(0, eq).trim() : "";
    if (!key) throw new CliError(`${flag} must be key=value (got "${raw}")`);
    const value = raw.slice(eq + 1).trim();
    // The API checks the same rules; checking here lets the message name the flag.
    if (!isValidLabelKey(key)) throw new CliError(`${flag} key must be ${LABEL_KEY_RULE} (got "${key}")`);
    if (!isValidLabelValue(value)) {
      throw new CliError(`${flag} value must be ${LABEL_VALUE_RULE} (got "${value}" for ${key})`);
    }
    if (Object.hasOwn(out, key)) throw new CliError(`${flag} ${key} is given twice`);
    out[key] = value;
  }
  if (Object.keys(out).length > LIMITS.maxLabels) {
    throw new CliError(`${flag}: at most ${LIMITS.maxLabels} labels (got ${Object.keys(out).length})`);
  }
  return out;
}

/** Matches a value against a fixed list, case-insensitively, and returns the canonical spelling. */
export function parseChoice<T extends string>(raw: string, allowed: readonly T[], flag: string): T {
  const found = allowed.find((a) => a.toLowerCase() === raw.trim().toLowerCase());
  if (!found) throw new CliError(`${flag} must be one of ${allowed.join(", ")} (got "${raw}")`);
  return found;
}

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The help text of every -o/--output flag. */
export const OUTPUT_HELP = `output format: ${OUTPUT_FORMATS.join("|")}`;

/** Parses `-o`; "yml" is accepted because people type it. */
export function parseOutput(raw: string | undefined): OutputFormat {
  if (raw === undefined) return "table";
  if (raw.trim().toLowerCase() === "yml") return "yaml";
  return parseChoice(raw, OUTPUT_FORMATS, "-o/--output");
}

export const MANIFEST_OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type ManifestOutputFormat = (typeof MANIFEST_OUTPUT_FORMATS)[number];

/** Parses `-o` of a view whose yaml is a manifest for `kube9 apply -f` (no wide); "yml" is accepted because people type it. */
export function parseManifestOutput(raw: string | undefined): ManifestOutputFormat {
  if (raw === undefined) return "table";
  return parseChoice(raw.trim().toLowerCase() === "yml" ? "yaml" : raw, MANIFEST_OUTPUT_FORMATS, "-o/--output");
}

/** Parses a scheduling policy name. */
export function parseAlgorithm(raw: string, flag = "--algorithm"): PolicyName {
  return parseChoice(raw, POLICY_NAMES, flag);
}

/** Parses a node role. */
export function parseRole(raw: string): NodeRole {
  return parseChoice(raw, NODE_ROLES, "--role");
}

/** Parses a node runtime for `node add`. */
export function parseNodeRuntime(raw: string): RuntimeKind {
  return parseChoice(raw, RUNTIME_KINDS, "--runtime");
}

/** Parses a comma-separated list of statuses ("Running,Pending"). */
export function parseStatuses<T extends string>(raw: string, allowed: readonly T[], flag = "--status"): T[] {
  const parts = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new CliError(`${flag} must be one of ${allowed.join(", ")} (got "${raw}")`);
  return [...new Set(parts.map((p) => parseChoice(p, allowed, flag)))];
}

/** Parses `--status` for pods. */
export function parsePodStatuses(raw: string): PodStatus[] {
  return parseStatuses(raw, POD_STATUSES);
}

/** Parses `--status` for nodes. */
export function parseNodeStatuses(raw: string): NodeStatus[] {
  return parseStatuses(raw, NODE_STATUSES);
}

/** Parses a duration in seconds (fractions allowed) into milliseconds. */
export function parseSeconds(raw: string, flag = "--timeout"): number {
  const text = raw.trim();
  const seconds = DECIMAL.test(text) ? Number(text) : NaN;
  if (!(seconds > 0) || seconds > 24 * 3600) {
    throw new CliError(`${flag} must be a number of seconds > 0 and <= 86400 (got "${raw}")`);
  }
  return Math.round(seconds * 1000);
}

/** Parses a whole number from lo to hi (e.g. a group's --min); signs are allowed only where lo is negative. */
export function parseWhole(raw: string, flag: string, lo: number, hi: number): number {
  const text = raw.trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= lo && n <= hi)) throw new CliError(`${flag} must be a whole number from ${lo} to ${hi} (got "${raw}")`);
  return n;
}

/** Parses a share of a node's capacity, from 0 to 1 (0.8 is 80%). */
export function parseRatio(raw: string, flag: string): number {
  const text = raw.trim();
  const r = DECIMAL.test(text) ? Number(text) : NaN;
  if (!(r >= 0 && r <= 1)) throw new CliError(`${flag} must be a number from 0 to 1, a share of a node's capacity: 0.8 is 80% (got "${raw}")`);
  return r;
}

/** Parses a TCP port; 0 asks the OS for a free one. */
export function parsePort(raw: string, flag = "--port"): number {
  const port = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`${flag} must be a whole number from 0 to 65535 (got "${raw}")`);
  }
  return port;
}

/** Collects a repeatable option's values (commander calls this once per occurrence). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
