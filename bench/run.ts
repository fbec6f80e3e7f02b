/** `npm run bench`: every benchmark, figures printed and written to .reports/bench.json (benchmarks are not tests). */
import { beginSection, record, recorded, writeReport } from "./report.js";
import { formatCoreBench, runCoreBench } from "./core-bench.js";
import { runApiBench } from "./api-bench.js";

/** Prints a heading and files the figures that follow under it. */
function section(title: string, first = false): void {
  console.log(`${first ? "" : "\n"}== ${title} ==`);
  beginSection(title);
}

section("scheduler decisions (pure core)", true);
const coreRows = await runCoreBench();
console.log(formatCoreBench(coreRows));
for (const r of coreRows) {
  const aim = /^>=\s*[\d,]+/.exec(r.aim)?.[0].replace(/,/g, "");
  record(`${r.policy} ${r.mode} at ${r.nodes} nodes`, Math.round(r.decisionsPerSec), "decisions/s", aim ? { aim } : {});
}
section("pending pods: the idle cost of 10,000 that fit nowhere at 5,000 nodes");
const { formatPendingBench, runPendingBench } = await import("./pending-bench.js");
const pending = await runPendingBench();
console.log(formatPendingBench(pending));
record("10,000 pending pods at 5,000 nodes, idle", Math.round(pending.idleCoreShare * 10000) / 100, "% of a core", { aim: "< 10" });
section("control plane through the API");
await runApiBench();
section("hollow node fleet over HTTP (kube9 hollow)");
const { runFleetBench } = await import("./fleet-bench.js");
await runFleetBench(console.log);
const { dockerAnswers, runDockerBench } = await import("./docker-bench.js");
const docker = await dockerAnswers();
if (docker) {
  section("docker runtime");
  await runDockerBench();
} else {
  section("docker runtime: skipped (no Docker engine answers)");
}
section("pods that run containers");
const { runPodsBench } = await import("./pods-bench.js");
await runPodsBench(console.log, docker);
section("real process nodes (idle cost, heartbeats, launches)");
const { runRealNodesBench } = await import("./real-nodes-bench.js");
await runRealNodesBench(console.log);
section("usage monitoring");
const { runUsageBench } = await import("./usage-bench.js");
await runUsageBench(console.log);
section("autoscaling");
const { runAutoscaleBench } = await import("./autoscale-bench.js");
await runAutoscaleBench(console.log, docker);
section("network policies");
const { runNetpolBench } = await import("./netpol-bench.js");
await runNetpolBench(console.log);
section("start-up: kube9 up to ready, idle memory");
await (await import("./startup-bench.js")).runStartupBench(console.log);
const path = writeReport();
const missed = recorded().filter((f) => f.met === false);
console.log(`\n${recorded().length} figures written to ${path}${missed.length ? `; aims missed: ${missed.map((f) => f.name).join(", ")}` : ""}`);
process.exit(0);
