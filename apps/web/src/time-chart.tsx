import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

// uPlot: about 50 KB, draws on a canvas, and is made for live time series: the chart is built once
// and each refresh only hands it new arrays (setData), so a 1 s series refetched every 2 s stays cheap.

/** One line of a chart: a measured series, or a constant reference (request, limit, capacity). */
export interface ChartSeries {
  label: string;
  color: string;
  /** Dashes for reference lines, e.g. [6, 4]. */
  dash?: number[];
  fill?: string;
}

export interface TimeChartProps {
  /** Times in seconds (uPlot's unit), then one array per series; null breaks a line. */
  data: uPlot.AlignedData;
  series: ChartSeries[];
  /** How values read on the axis and in the legend ("250m", "200 MiB"). */
  format(value: number): string;
  /** Steps the value axis may tick at (uPlot's default is decimal: 1, 2, 5 × 10ⁿ). */
  incrs?: number[];
  /** Measured points in `data` (shown as data-points, so tests can wait for real data). */
  points: number;
  label: string;
  height?: number;
  testid?: string;
}

const AXIS = { stroke: "#6b7489", grid: { stroke: "#edf0f5", width: 1 }, ticks: { stroke: "#e3e7ef", width: 1 } };

/** The newest index with a measured value: what the legend shows while the pointer is not over the chart. */
function newest(u: uPlot): number | null {
  const col = u.data[1] ?? [];
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return i;
  return null;
}

/** Dots only where a line cannot show: a series of a few measured points. */
function fewPoints(u: uPlot, si: number, i0: number, i1: number): boolean {
  let n = 0;
  for (let i = i0; i <= i1 && n <= 3; i++) if (u.data[si]?.[i] !== null && u.data[si]?.[i] !== undefined) n++;
  return n <= 3;
}

function options(p: TimeChartProps, width: number, height: number): uPlot.Options {
  const at = (u: uPlot, si: number, v: number | null, idx: number | null) => {
    if (idx !== null) return v;
    const i = newest(u);
    return i === null ? null : (u.data[si]?.[i] ?? null);
  };
  const show = (v: number | null | undefined, f: (v: number) => string) => (v === null || v === undefined ? "—" : f(v));
  return {
    width,
    height,
    series: [
      { label: "Time", value: (u, v, si, idx) => show(at(u, si, v, idx), (t) => new Date(t * 1000).toLocaleTimeString()) },
      ...p.series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.dash ? 1.5 : 2,
          value: (u, v, si, idx) => show(at(u, si, v, idx), p.format),
          ...(s.dash ? { dash: s.dash, points: { show: false } } : { points: { show: fewPoints } }),
          ...(s.fill ? { fill: s.fill } : {}),
        }),
      ),
    ],
    // Usage starts at zero; a flat series still gets some height above it.
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.12 : 1] } },
    axes: [AXIS, { ...AXIS, size: 76, values: (_u, splits) => splits.map((v) => p.format(v)), ...(p.incrs ? { incrs: p.incrs } : {}) }],
    legend: { live: true },
  };
}

/** A uPlot time chart: created once per set of series, fed with setData, sized to its container, destroyed on unmount. */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const height = props.height ?? 180;
  // A new line (a pod gains a limit, a range changes what is drawn) needs a new chart; new values do not.
  const shape = props.series.map((s) => `${s.label}:${s.color}`).join("|");

  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(240, el.clientWidth);
    const u = new uPlot(options(latest.current, width(), height), latest.current.data, el);
    plot.current = u;
    let last = width();
    const resize = new ResizeObserver(() => {
      if (width() === last) return;
      last = width();
      u.setSize({ width: last, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return <div ref={box} className="time-chart" role="figure" aria-label={props.label} data-testid={props.testid} data-points={props.points} />;
}
