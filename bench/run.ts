/** `npm run bench`: every benchmark, figures printed and written to .reports/bench.json (benchmarks are not tests). */
import { beginSection, recorded, writeReport } from "./report.js";
import { formatCoreBench, runCoreBench } from "./core-bench.js";
import { runApiBench } from "./api-bench.js";

/** Prints a heading and files the figures that follow under it. */
function section(title: string, first = false): void {
  console.log(`${first ? "" : "\n"}== ${title} ==`);
  beginSection(title);
}

section("scheduler decisions (pure core)", true);
console.log(formatCoreBench(await runCoreBench()));
section("control plane through the API");
await runApiBench();
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
section("usage monitoring");
const { runUsageBench } = await import("./usage-bench.js");
await runUsageBench(console.log);
section("autoscaling");
const { runAutoscaleBench } = await import("./autoscale-bench.js");
await runAutoscaleBench(console.log, docker);
section("network policies");
const { runNetpolBench } = await import("./netpol-bench.js");
await runNetpolBench(console.log);
const path = writeReport();
const missed = recorded().filter((f) => f.met === false);
console.log(`\n${recorded().length} figures written to ${path}${missed.length ? `; aims missed: ${missed.map((f) => f.name).join(", ")}` : ""}`);
process.exit(0);
