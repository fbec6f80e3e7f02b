import { Worker } from "node:worker_threads";

/** Longest nap between checks, and how much CPU debt is kept after the machine starved us. */
const SLICE_MS = 100;

// Runs inside each worker. Kept as source text so the single-file bundle needs no second file.
// The target is the whole process's CPU time (getrusage, the figure a cgroup or top reports), not
// wall time spent looping: on a busy machine a spinning thread is often descheduled, and counting
// that as work would burn less than asked. Every thread spins while the process is behind and
// sleeps (Atomics.wait: no event loop needed) while it is ahead.
const BURNER = `
const { workerData } = require("node:worker_threads");
const { rate, sliceMs } = workerData;
const nap = new Int32Array(new SharedArrayBuffer(4));
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const wall0 = performance.now();
let cpu0 = cpuMs();
for (;;) {
  const target = cpu0 + (performance.now() - wall0) * rate;
  const cpu = cpuMs();
  if (cpu < target - sliceMs * rate) cpu0 -= target - sliceMs * rate - cpu;
  if (cpu < target) {
    const until = performance.now() + 1;
    while (performance.now() < until);
  } else {
    Atomics.wait(nap, 0, 0, Math.min(sliceMs, (cpu - target) / rate));
  }
}
`;

/** How many threads N millicores need: one per started core. */
export function threadCount(millicores: number): number {
  return Math.ceil(millicores / 1000);
}

/** Burns about `millicores` of CPU on worker threads, so the main thread stays free to answer signals. */
export function runCpu(millicores: number): void {
  const threads = threadCount(millicores);
  console.log(`workload cpu: burning ${millicores} millicores on ${threads} thread(s), pid ${process.pid}`);
  for (let i = 0; i < threads; i++) {
    // Each thread pursues the whole process's target, so together they hold the total rate.
    const worker = new Worker(BURNER, { eval: true, workerData: { rate: millicores / 1000, sliceMs: SLICE_MS } });
    worker.on("error", (err) => {
      console.error(`workload cpu: a burner thread failed: ${err.message}`);
      process.exit(1);
    });
  }
}
