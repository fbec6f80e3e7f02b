import { ago } from "./api";

// Measured use reads like kubectl top: millicores under a core, cores above; MiB under a GiB.

function trim(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** "250m", "1.5 cores", "1 core"; measurements keep a decimal only where it shows (4.2m). */
export function cpuText(milli: number): string {
  if (Math.abs(milli) < 1000) return `${trim(milli.toFixed(Math.abs(milli) < 10 ? 1 : 0))}m`;
  const c = milli / 1000;
  return `${trim(c.toFixed(2))} ${c === 1 ? "core" : "cores"}`;
}

/** "0.3 MiB", "200 MiB", "1.5 GiB". */
export function memText(mib: number): string {
  if (Math.abs(mib) < 1024) return `${trim(mib.toFixed(Math.abs(mib) < 10 ? 1 : 0))} MiB`;
  return `${trim((mib / 1024).toFixed(2))} GiB`;
}

/** A ratio as a whole percentage ("37%"), "—" without a denominator. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : "—";
}

/** A moment in the browser's local time, with how long ago it was: "14:03:07 (2 min ago)". */
export function sinceText(ms: number, now: number): string {
  return `${new Date(ms).toLocaleTimeString()} (${ago(new Date(ms).toISOString(), now)})`;
}

/** A setting's duration: "3 s", "1.5 s", "10 min". */
export function durationText(ms: number): string {
  if (ms >= 120_000) return `${trim((ms / 60_000).toFixed(1))} min`;
  return `${trim((ms / 1000).toFixed(1))} s`;
}
