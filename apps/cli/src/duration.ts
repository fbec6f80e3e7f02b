import { formatPromDuration, parsePromDuration } from "@kube9/client";
import { CliError } from "./errors.js";

// Prometheus' duration syntax, which alert rules' `for:` and node group settings are written in
// (core parses it; this names the flag in the error and applies the flag's bounds).

/** The longest duration a flag takes: the API keeps no longer alert history, and no group setting may exceed it. */
export const MAX_DURATION_MS = 86_400_000;

/** Reads a duration flag as milliseconds; `minMs` is the shortest it may be (a bare 0 is refused above 0). */
export function parseDurationFlag(raw: string, flag: string, minMs = 0): number {
  let ms: number;
  try {
    ms = parsePromDuration(raw.trim());
  } catch {
    throw new CliError(`${flag} must be a Prometheus duration: whole numbers with units ms, s, m, h, d, w, y, largest first, e.g. 30s, 1m30s, 500ms, or 0 (got "${raw}")`);
  }
  if (ms > MAX_DURATION_MS) throw new CliError(`${flag} must be at most 24h (got "${raw}")`);
  if (ms < minMs) throw new CliError(`${flag} must be at least ${formatDuration(minMs)} (got "${raw}")`);
  return ms;
}

/** Milliseconds as a Prometheus duration, as manifests write them: 90_000 -> "1m30s", 0 -> "0s". */
export function formatDuration(ms: number): string {
  return formatPromDuration(Math.max(0, Math.round(ms)));
}
