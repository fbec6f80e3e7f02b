const MIB = 1024 * 1024;

// Held here so the allocations stay reachable: the point is RSS that does not come back.
const held: Buffer[] = [];

/** Allocates `mib` MiB and writes every page, so the memory is resident, not merely reserved. */
function allocate(mib: number): void {
  for (let i = 0; i < mib; i++) {
    // allocUnsafe skips the zero-fill that the kernel could satisfy with shared zero pages;
    // fill() then writes each page for real.
    held.push(Buffer.allocUnsafe(MIB).fill(0x5a + (held.length % 64)));
  }
}

/** Total MiB this process holds on purpose. */
export function heldMiB(): number {
  return held.length;
}

/** Allocates and touches `mib` MiB, then `growMibPerS` more every second without bound. */
export function runMemory(mib: number, growMibPerS: number): void {
  allocate(mib);
  const growth = growMibPerS > 0 ? `, growing by ${growMibPerS} MiB/s` : "";
  console.log(`workload memory: holding ${heldMiB()} MiB${growth}, pid ${process.pid}`);
  if (growMibPerS > 0) {
    setInterval(() => {
      allocate(growMibPerS);
      console.log(`workload memory: holding ${heldMiB()} MiB`);
    }, 1000);
  } else {
    // Nothing else keeps the event loop alive.
    setInterval(() => {}, 1 << 30);
  }
}
