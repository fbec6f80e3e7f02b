import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  parseTraceNodes,
  parseTracePods,
  POLICY_NAMES,
  replayTrace,
  TraceParseError,
  type PolicyName,
  type ReplayMode,
  type ReplayResult,
  type TracePod,
} from "@kube9/client";
import type { Command } from "commander";
import { print } from "../context.js";
import { CliError, ReportedError } from "../errors.js";
import { withClient } from "../context.js";
import { replayThroughApi, type ApiReplayResult } from "./simulate-api.js";
import { parseChoice } from "../parse.js";
import { renderTable } from "../output/table.js";

const MODES = ["fill", "timed"] as const satisfies readonly ReplayMode[];
const POLICY_CHOICES = [...POLICY_NAMES, "all"] as const;
const FORMATS = ["table", "json"] as const;

interface SimulateOptions {
  nodes: string;
  pods: string;
  policy: string;
  mode: string;
  nodeLimit?: string;
  podLimit?: string;
  throughApi?: boolean;
  output: string;
}

/** One policy's figures, without the placements (thousands of lines nobody reads in a terminal). */
export interface SimulateFigures {
  policy: PolicyName;
  placed: number;
  unschedulable: number;
  firstFailedPod: string | null;
  cpuAtFirstFailure: number | null;
  cpuAtEnd: number;
  cpuPeak: number;
}

/** What `simulate -o json` prints; run times sit apart so two runs can be compared on `results` alone. */
export interface SimulateReport {
  nodes: number;
  pods: number;
  mode: ReplayMode;
  results: SimulateFigures[];
  runTimeMs: Record<string, number>;
}

function readTrace<T>(path: string, flag: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new CliError(`${flag}: file "${path}" does not exist`);
    if (code === "EISDIR") throw new CliError(`${flag}: "${path}" is a directory, not a CSV file`);
    throw new CliError(`${flag}: cannot read "${path}": ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TraceParseError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

function parseLimit(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`${flag} must be a whole number >= 1 (got "${raw}")`);
  return n;
}

/** The first `limit` pods in arrival order (creation time, then name), as the replay takes them. */
function firstPods(pods: TracePod[], limit: number | undefined): TracePod[] {
  if (limit === undefined) return pods;
  const sorted = [...pods].sort((a, b) => a.creationTime - b.creationTime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.slice(0, limit);
}

/** The trace and the choices of a `simulate` run, read and checked. */
function readRun(opts: SimulateOptions) {
  const policyChoice = parseChoice(opts.policy, POLICY_CHOICES, "--policy");
  const mode = parseChoice(opts.mode, MODES, "--mode");
  const nodeLimit = parseLimit(opts.nodeLimit, "--node-limit");
  const allNodes = readTrace(opts.nodes, "--nodes", parseTraceNodes);
  const nodes = nodeLimit === undefined ? allNodes : allNodes.slice(0, nodeLimit);
  const pods = firstPods(readTrace(opts.pods, "--pods", parseTracePods), parseLimit(opts.podLimit, "--pod-limit"));
  const policies: PolicyName[] = policyChoice === "all" ? [...POLICY_NAMES] : [policyChoice];
  return { mode, nodes, pods, policies };
}

function figures(r: ReplayResult): SimulateFigures {
  const { policy, placed, unschedulable, firstFailedPod, cpuAtFirstFailure, cpuAtEnd, cpuPeak } = r;
  return { policy, placed, unschedulable, firstFailedPod, cpuAtFirstFailure, cpuAtEnd, cpuPeak };
}

/** A fraction as a percentage with one decimal; "-" when there is none (no pod failed). */
function percent(fraction: number | null): string {
  return fraction === null ? "-" : `${(fraction * 100).toFixed(1)}%`;
}

/** Policies as columns, figures as rows, so `--policy all` reads side by side. */
export function renderSimulation(report: SimulateReport): string {
  const { results, runTimeMs } = report;
  const rows: string[][] = [
    ["PLACED", ...results.map((r) => String(r.placed))],
    ["UNSCHEDULABLE", ...results.map((r) => String(r.unschedulable))],
    ["CPU AT FIRST FAILURE", ...results.map((r) => percent(r.cpuAtFirstFailure))],
    ["CPU AT END", ...results.map((r) => percent(r.cpuAtEnd))],
    ["CPU PEAK", ...results.map((r) => percent(r.cpuPeak))],
    ["RUN TIME", ...results.map((r) => `${Math.round(runTimeMs[r.policy] ?? 0)} ms`)],
  ];
  const title = `replayed ${report.pods} pods on ${report.nodes} nodes, ${report.mode} mode`;
  return `${title}\n\n${renderTable(["", ...results.map((r) => r.policy.toUpperCase())], rows)}`;
}

/** Replays the trace once per policy, timing each run from outside the pure core. */
export function simulate(opts: SimulateOptions): SimulateReport {
  const { mode, nodes, pods, policies } = readRun(opts);
  const results: SimulateFigures[] = [];
  const runTimeMs: Record<string, number> = {};
  let nodeCount = 0;
  for (const policy of policies) {
    const start = performance.now();
    const r = replayTrace(nodes, pods, { policy, mode });
    runTimeMs[policy] = Math.round((performance.now() - start) * 10) / 10;
    nodeCount = r.nodes;
    results.push(figures(r));
  }
  return { nodes: nodeCount, pods: pods.length, mode, results, runTimeMs };
}

/** The API replay as a table: per policy, what the API placed and how many pods it placed as the core did. */
export function renderApiReplay(nodes: number, pods: number, mode: ReplayMode, results: readonly ApiReplayResult[]): string {
  const rows: string[][] = [
    ["PLACED", ...results.map((r) => String(r.placed))],
    ["UNSCHEDULABLE", ...results.map((r) => String(r.unschedulable))],
    ["SAME AS CORE", ...results.map((r) => `${r.agree}/${pods}`)],
    ["RUN TIME", ...results.map((r) => `${(r.runTimeMs / 1000).toFixed(1)} s`)],
  ];
  const diffs = results.flatMap((r) => r.differences.map((d) => `  ${r.policy}: pod ${d.pod}: API ${d.api ?? "unschedulable"}, core ${d.core ?? "unschedulable"}`));
  const title = `replayed ${pods} pods on ${nodes} hollow nodes through the API, ${mode} mode`;
  return [`${title}\n`, renderTable(["", ...results.map((r) => r.policy.toUpperCase())], rows), ...(diffs.length ? ["", "differences:", ...diffs] : [])].join("\n");
}

/** Registers `kube9 simulate`: replays a cluster trace through the scheduler locally (no API needed), or through the API. */
export function registerSimulateCommand(program: Command): void {
  program
    .command("simulate")
    .description("replay a cluster trace (nodes.csv, pods.csv) through the scheduler locally and compare policies; --through-api replays it through the running API")
    .requiredOption("--nodes <file>", "nodes CSV (sn,cpu_milli,memory_mib,...)")
    .requiredOption("--pods <file>", "pods CSV (name,cpu_milli,memory_mib,...,creation_time,deletion_time,...)")
    .option("--policy <name>", POLICY_CHOICES.join("|"), "all")
    .option("--mode <mode>", "fill: pods never leave; timed: pods leave at deletion_time", "fill")
    .option("--node-limit <n>", "use only the first N nodes of the file")
    .option("--pod-limit <n>", "use only the first N pods (in arrival order)")
    .option("--through-api", "replay through the running API (hollow nodes, its database and scheduler) and compare every placement with the core replay; exit 1 on any difference")
    .option("-o, --output <format>", FORMATS.join("|"), "table")
    .action(async (opts: SimulateOptions, cmd: Command) => {
      const format = parseChoice(opts.output, FORMATS, "-o/--output");
      if (!opts.throughApi) {
        const report = simulate(opts);
        print(format === "json" ? JSON.stringify(report, null, 2) : renderSimulation(report));
        return;
      }
      const { mode, nodes, pods, policies } = readRun(opts);
      const tag = `replay-${Date.now().toString(36)}`;
      const results = await withClient(cmd, ({ client }) =>
        replayThroughApi(client, nodes, pods, { policies, mode, tag, onProgress: (line) => process.stderr.write(`${line}\n`) }),
      );
      print(format === "json" ? JSON.stringify({ nodes: nodes.length, pods: pods.length, mode, throughApi: results }, null, 2) : renderApiReplay(nodes.length, pods.length, mode, results));
      if (results.some((r) => r.agree !== pods.length)) throw new ReportedError(1);
    });
}
