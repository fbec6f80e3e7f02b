/** `npm run bench`: every benchmark, figures printed (benchmarks are not tests). */
import { formatCoreBench, runCoreBench } from "./core-bench.js";
import { runApiBench } from "./api-bench.js";

console.log("== scheduler decisions (pure core) ==");
console.log(formatCoreBench(await runCoreBench()));
console.log("\n== control plane through the API ==");
await runApiBench();
process.exit(0);
