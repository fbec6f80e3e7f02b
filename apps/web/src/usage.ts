import { useQuery } from "@tanstack/react-query";
import type uPlot from "uplot";
import type { UsageRangeDTO, UsageTarget } from "./api";
import { useLive } from "./live";

// Measured use has no watch (it changes every second for every object): the views that show it poll.

const POLL_MS = 2000;

/** A range a chart offers, and the step it asks for. */
export interface RangeChoice {
  id: string;
  label: string;
  seconds: number;
  step: number;
}

/**
 * Up to 15 minutes the API answers from memory at 1 s; 15 minutes at 3 s keeps 300 points. Longer ranges
 * come from the 10 s history, and coarser steps keep a chart near 360 points.
 */
export const RANGES: RangeChoice[] = [
  { id: "5m", label: "5 m", seconds: 300, step: 1 },
  { id: "15m", label: "15 m", seconds: 900, step: 3 },
  { id: "1h", label: "1 h", seconds: 3600, step: 10 },
  { id: "6h", label: "6 h", seconds: 21_600, step: 60 },
  { id: "24h", label: "24 h", seconds: 86_400, step: 300 },
];

// How far the API's clock is ahead of this browser's, learned from each answer, so that `from` is
// measured on the API's clock (a browser behind by minutes would otherwise ask for a range in the future).
let apiAheadMs = 0;

/** A usage series over the chosen range; short ranges refresh every 2 s, long ones once a step (at most once a minute). */
export function useUsageRange(target: UsageTarget, range: RangeChoice) {
  const { client } = useLive();
  return useQuery({
    queryKey: ["usage-range", target, range.id],
    queryFn: async () => {
      const r = await client.usage.range.query({ target, from: Date.now() + apiAheadMs - range.seconds * 1000, stepSeconds: range.step });
      apiAheadMs = r.to - Date.now();
      return r;
    },
    refetchInterval: range.seconds <= 900 ? POLL_MS : Math.min(60_000, range.step * 1000),
    retry: false,
  });
}

/** Every node's latest use with capacity and allocation. */
export function useNodeUsage() {
  const { client } = useLive();
  return useQuery({ queryKey: ["usage-nodes"], queryFn: () => client.usage.nodes.query(), refetchInterval: POLL_MS });
}

/** Every bound pod's latest use with requests and limits. */
export function usePodUsage() {
  const { client } = useLive();
  return useQuery({ queryKey: ["usage-pods"], queryFn: () => client.usage.pods.query(), refetchInterval: POLL_MS });
}

export type UsageResource = "cpuMilli" | "memoryMiB";

/**
 * A range as uPlot's columns: seconds, the measured values, then each reference value repeated. The
 * range's ends are added so the chart spans all of it, and a silence of over three history buckets
 * (a node paused, the API down) leaves a gap instead of a straight line across it.
 */
export function chartColumns(r: UsageRangeDTO, resource: UsageResource, refs: number[]): uPlot.AlignedData {
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  const gapMs = Math.max(r.stepSeconds, 10) * 3000;
  let prev = r.from;
  const add = (t: number, v: number | null) => {
    xs.push(t / 1000);
    ys.push(v);
  };
  if (r.points.length === 0 || r.points[0]!.t > r.from) add(r.from, null);
  for (const p of r.points) {
    if (p.t - prev > gapMs && xs.length > 1) add((prev + p.t) / 2, null);
    add(p.t, p[resource]);
    prev = p.t;
  }
  if (xs.at(-1)! * 1000 < r.to) add(r.to, null);
  return [xs, ys, ...refs.map((v) => xs.map(() => v))];
}
