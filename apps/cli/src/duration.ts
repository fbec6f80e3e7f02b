import { CliError } from "./errors.js";

// Prometheus' duration syntax, which alert rules' `for:` and node group settings are written in: whole
// numbers with units ms, s, m, h, d, w, y, largest first, each at most once, or a bare 0.

const PROM_DURATION = /^(?:0|(?=\d)(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?)$/;
const UNITS: readonly (readonly [string, number])[] = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];
/** The longest duration a flag takes: the API keeps no longer alert history, and no group setting may exceed it. */
export const MAX_DURATION_MS = 86_400_000;

/** Reads a duration flag as milliseconds; `minMs` is the shortest it may be (a bare 0 is refused above 0). */
export function parseDurationFlag(raw: string, flag: string, minMs = 0): number {
  const m = PROM_DURATION.exec(raw.trim());
  if (!m) {
    throw new CliError(`${flag} must be a Prometheus duration: whole numbers with units ms, s, m, h, d, w, y, largest first, e.g. 30s, 1m30s, 500ms, or 0 (got "${raw}")`);
  }
  const ms = UNITS.reduce((sum, [, size], i) => sum + Number(m[i + 1] ?? 0) * size, 0);
  if (ms > MAX_DURATION_MS) throw new CliError(`${flag} must be at most 24h (got "${raw}")`);
  if (ms < minMs) throw new CliError(`${flag} must be at least ${formatDuration(minMs)} (got "${raw}")`);
  return ms;
}

/** Milliseconds as a Prometheus duration, as manifests write them: 90_000 -> "1m30s", 0 -> "0s". */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  if (rest === 0) return "0s";
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
