/**
 * The figures of a bench run, kept as data as well as printed: `npm run bench` writes them to .reports/bench.json
 * (with the machine and the commit) so two runs can be compared figure by figure.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib.js";

/** One measured figure: what, how much, in what unit, and the aim it is judged against (if the issue set one). */
export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The aim as a comparison, e.g. "< 1000" or ">= 1000". */
  aim?: string;
  /** Whether the value meets the aim (absent without one). */
  met?: boolean;
  /** Anything a reader needs to read the value right (sample count, setup). */
  note?: string;
}

const figures: Figure[] = [];
let section = "";

/** Sets the section the next figures belong to (run.ts calls it with each heading). */
export function beginSection(name: string): void {
  section = name;
}

function meets(value: number, aim: string): boolean {
  const m = /^(<=|>=|<|>)\s*([\d.]+)$/.exec(aim.trim());
  if (!m) throw new Error(`aim "${aim}" is not a comparison such as "< 100"`);
  const bound = Number(m[2]);
  switch (m[1]) {
    case "<":
      return value < bound;
    case "<=":
      return value <= bound;
    case ">":
      return value > bound;
    default:
      return value >= bound;
  }
}

/** Records a figure (the caller prints its own line). */
export function record(name: string, value: number, unit: string, opts: { aim?: string; note?: string } = {}): Figure {
  const f: Figure = { section, name, value, unit, ...(opts.aim ? { aim: opts.aim, met: meets(value, opts.aim) } : {}), ...(opts.note ? { note: opts.note } : {}) };
  figures.push(f);
  return f;
}

/** The figures recorded so far. */
export function recorded(): readonly Figure[] {
  return figures;
}

/** Writes every recorded figure, the machine and the commit to .reports/bench.json; returns the path. */
export function writeReport(): string {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  const dir = join(ROOT, ".reports");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "bench.json");
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  writeFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), commit, machine, figures }, null, 2)}\n`);
  return path;
}
