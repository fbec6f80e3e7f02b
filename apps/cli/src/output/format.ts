import { stringify as toYaml } from "yaml";
import type { OutputFormat } from "../parse.js";

/** Millicores as users speak them: 2000 -> "2", 500 -> "0.5", 1250 -> "1.25". */
export function formatCores(milli: number): string {
  // Rounding to whole millicores avoids float noise such as 0.30000000000000004.
  return String(Math.round(milli) / 1000);
}

/** "allocated/capacity" in cores, e.g. "1.5/4". */
export function formatCpuPair(allocMilli: number, capMilli: number): string {
  return `${formatCores(allocMilli)}/${formatCores(capMilli)}`;
}

/** A share as a whole percentage; 0 of 0 is 0%, not NaN. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  return `${Math.round((part / whole) * 100)}%`;
}

/** How long ago an ISO time was, kubectl style ("5s", "3m12s", "4h", "2d"); "-" for none. */
export function formatAge(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "-";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "-";
  // Clock skew between the API host and this one can make fresh timestamps look slightly future.
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return h < 10 && m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 && h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

/** formatAge for a time in epoch milliseconds, as the autoscaler keeps them; "-" for none. */
export function formatAgeMs(at: number | null | undefined, now: number = Date.now()): string {
  return at === null || at === undefined ? "-" : formatAge(new Date(at).toISOString(), now);
}

/** Labels as "k=v,k2=v2" (sorted, so output is stable); "<none>" when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | null | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
}

/** A value or "-" for null/empty, so table cells are never blank. */
export function dash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? "-" : String(value);
}

/** Counts by status as "Ready 3, Failed 1" in a fixed order, skipping zeros. */
export function formatCounts(byStatus: Readonly<Record<string, number>>, order: readonly string[] = []): string {
  const keys = [...order.filter((k) => k in byStatus), ...Object.keys(byStatus).filter((k) => !order.includes(k))];
  const parts = keys.filter((k) => (byStatus[k] ?? 0) > 0).map((k) => `${k} ${byStatus[k]}`);
  return parts.length ? parts.join(", ") : "none";
}

/** Serialises data for -o json|yaml exactly as the API returned it; undefined for table formats. */
export function serialize(format: OutputFormat, data: unknown): string | undefined {
  if (format === "json") return JSON.stringify(data, null, 2);
  if (format === "yaml") return toYaml(data).trimEnd();
  return undefined;
}
