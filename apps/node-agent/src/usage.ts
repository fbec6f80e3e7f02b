import type { Resources } from "@kube9/client";

/** Returns the resources used since the previous call. */
export type UsageSampler = () => Resources;

/**
 * Samples this process's own use: CPU as millicores averaged since the previous sample
 * (the first sample covers the time since creation), memory as resident set size in MiB.
 */
export function createProcessUsageSampler(): UsageSampler {
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - lastCpu.user + (cpu.system - lastCpu.system);
    lastCpu = cpu;
    const elapsedMs = Number(now - lastAt) / 1e6;
    lastAt = now;
    // CPU microseconds per wall millisecond equals millicores.
    const cpuMilli = elapsedMs > 0 ? Math.max(0, Math.round(usedMicros / elapsedMs)) : 0;
    const memoryMiB = Math.round(process.memoryUsage.rss() / (1024 * 1024));
    return { cpuMilli, memoryMiB };
  };
}

/** The sum of two usages (the agent's own and its containers'). */
export function addResources(a: Resources, b: Resources): Resources {
  return { cpuMilli: a.cpuMilli + b.cpuMilli, memoryMiB: a.memoryMiB + b.memoryMiB };
}
