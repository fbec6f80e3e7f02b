/** `npm run bench`: every benchmark, figures printed (benchmarks are not tests). */
import { formatCoreBench, runCoreBench } from "./core-bench.js";
import { runApiBench } from "./api-bench.js";

console.log("== scheduler decisions (pure core) ==");
console.log(formatCoreBench(await runCoreBench()));
console.log("\n== control plane through the API ==");
await runApiBench();
const { dockerAnswers, runDockerBench } = await import("./docker-bench.js");
const docker = await dockerAnswers();
if (docker) {
  console.log("\n== docker runtime ==");
  await runDockerBench();
} else {
  console.log("\n== docker runtime: skipped (no Docker engine answers) ==");
}
console.log("\n== pods that run containers ==");
const { runPodsBench } = await import("./pods-bench.js");
await runPodsBench(console.log, docker);
console.log("\n== real process nodes (idle cost, heartbeats, launches) ==");
const { runRealNodesBench } = await import("./real-nodes-bench.js");
await runRealNodesBench(console.log);
console.log("\n== usage monitoring ==");
const { runUsageBench } = await import("./usage-bench.js");
await runUsageBench(console.log);
console.log("\n== autoscaling ==");
const { runAutoscaleBench } = await import("./autoscale-bench.js");
await runAutoscaleBench(console.log, docker);
console.log("\n== network policies ==");
const { runNetpolBench } = await import("./netpol-bench.js");
await runNetpolBench(console.log);
process.exit(0);
