// How the autoscaler's explanations print numbers. People read these in events, so they say "1.5 cores" and
// "2 GiB" rather than the scheduler's "1500m" and "2048Mi", and elapsed times in seconds.

import { formatPromDuration } from "../alerts/duration.js";

/** "1 pod", "3 pods". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Millicores as a bare number of cores: "1.5", "0.25"; overcommitted (negative) free room reads as 0. */
export function coreCount(milli: number): string {
  return String(Math.max(0, milli) / 1000);
}

/** Millicores with the unit: "1 core", "1.5 cores". */
export function cores(milli: number): string {
  return `${coreCount(milli)} ${Math.max(0, milli) === 1000 ? "core" : "cores"}`;
}

/** MiB in the largest unit that reads well: "512 MiB", "2 GiB", "1.5 GiB". */
export function mebibytes(mib: number): string {
  const m = Math.max(0, mib);
  if (m < 1024) return `${m} MiB`;
  // Two decimals are plenty for a message; toFixed then Number drops the trailing zeros.
  return `${Number((m / 1024).toFixed(2))} GiB`;
}

/** Elapsed time as people say it: "0.4s", "4.5s", "12s", "1m30s". */
export function elapsed(ms: number): string {
  const m = Math.max(0, ms);
  // Tenths matter only while the wait is short; beyond 10 s they are noise.
  if (m < 10_000) return `${Math.floor(m / 100) / 10}s`;
  return formatPromDuration(Math.floor(m / 1000) * 1000);
}

/** A setting's duration as it is written in the manifest: "30s", "1m30s", "500ms". */
export function setting(ms: number): string {
  return formatPromDuration(ms);
}

/** A ratio as a whole percentage: "72%". */
export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
