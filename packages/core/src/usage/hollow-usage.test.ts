import { describe, expect, it } from "vitest";
import type { ContainerSpec } from "../pods/types.js";
import { DEFAULT_HOLLOW_USAGE, hollowPodUsage, parseHollowUsage, podUsageTotal } from "./hollow-usage.js";

const T = Date.parse("2026-11-29T12:00:00.000Z");
const POD = "0b1f2c3d-0000-4000-8000-000000000001";

function c(name: string, cpuMilli?: number, memoryMiB?: number, image = "kube9/workload"): Pick<ContainerSpec, "name" | "image" | "requests"> {
  return { name, image, requests: { ...(cpuMilli !== undefined ? { cpuMilli } : {}), ...(memoryMiB !== undefined ? { memoryMiB } : {}) } };
}

describe("hollowPodUsage without noise (exact)", () => {
  const exact = (cpuFraction: number, memoryFraction: number) => ({ cpuFraction, memoryFraction, noise: 0 });
  it.each([
    // 500m × 0.5 = 250m; 256 MiB × 0.5 = 128 MiB.
    ["half of each request", [c("main", 500, 256)], exact(0.5, 0.5), { main: [250, 128] }],
    // 333m × 0.5 = 166.5 -> 167m; 100 MiB × 0.333 = 33.3 MiB.
    ["rounded: integer millicores, MiB to one decimal", [c("main", 333, 100)], exact(0.5, 0.333), { main: [167, 33.3] }],
    // 200m × 1.5 = 300m; 64 MiB × 2 = 128 MiB: above the request, as a pod that outgrew it.
    ["fractions above 1", [c("main", 200, 64)], exact(1.5, 2), { main: [300, 128] }],
    // No request: 0 × anything = 0 (nothing to take a share of).
    ["a container without a request", [c("main")], exact(0.5, 0.5), { main: [0, 0] }],
    // web: 1000m × 0.25 = 250m, 512 × 0.25 = 128; side (busybox): 100m × 0.25 = 25m, 16 × 0.25 = 4.
    ["each container on its own", [c("web", 1000, 512), c("side", 100, 16, "busybox:1.36")], exact(0.25, 0.25), { web: [250, 128], side: [25, 4] }],
    // nginx is not built in: it waits in ErrImagePull and uses nothing; main: 400m × 0.5 = 200m, 50 × 0.5 = 25.
    ["an image the node lacks never runs", [c("web", 1000, 512, "nginx:1.27"), c("main", 400, 50)], exact(0.5, 0.5), { main: [200, 25] }],
    // No containers: nothing to report.
    ["no containers", [], exact(0.5, 0.5), {}],
  ])("%s", (_what, containers, opts, expected) => {
    expect(hollowPodUsage(POD, containers, T, opts)).toEqual(expected);
  });
});

describe("hollowPodUsage with noise", () => {
  const containers = [c("main", 1000, 1000)];

  it("stays within ±noise of the average, the same for the same pod and second", () => {
    for (let s = 0; s < 200; s++) {
      const at = T + s * 1000;
      const [cpu, mib] = hollowPodUsage(POD, containers, at)["main"]!;
      // Defaults: 1000m × 0.5 × (1 ± 0.1) = 450..550m; 1000 MiB × 0.5 × (1 ± 0.1) = 450..550 MiB.
      expect(cpu).toBeGreaterThanOrEqual(450);
      expect(cpu).toBeLessThanOrEqual(550);
      expect(mib).toBeGreaterThanOrEqual(450);
      expect(mib).toBeLessThanOrEqual(550);
      // Within one second the figures do not change (999 ms later is the same second).
      expect(hollowPodUsage(POD, containers, at + 999)).toEqual(hollowPodUsage(POD, containers, at));
    }
  });

  it("varies from second to second and from pod to pod, averaging out to the fraction", () => {
    const cpus = Array.from({ length: 1000 }, (_, s) => hollowPodUsage(POD, containers, T + s * 1000)["main"]![0]);
    // 1000 seconds of noise uniform in ±10% around 500m: the mean is within 1% (5m) of 500m, and many values differ.
    const mean = cpus.reduce((a, b) => a + b, 0) / cpus.length;
    expect(Math.abs(mean - 500)).toBeLessThan(5);
    expect(new Set(cpus).size).toBeGreaterThan(50);
    // Both ends of the range are reached: 1000 draws of 101 possible values.
    expect(Math.min(...cpus)).toBeLessThan(460);
    expect(Math.max(...cpus)).toBeGreaterThan(540);
    const other = hollowPodUsage("0b1f2c3d-0000-4000-8000-000000000002", containers, T);
    const others = Array.from({ length: 20 }, (_, s) => hollowPodUsage(`pod-${s}`, containers, T)["main"]![0]);
    expect(new Set([...others, other["main"]![0]]).size).toBeGreaterThan(5);
  });

  it("noise 1 never goes below zero", () => {
    for (let s = 0; s < 100; s++) {
      const [cpu, mib] = hollowPodUsage(POD, containers, T + s * 1000, { cpuFraction: 1, memoryFraction: 1, noise: 1 })["main"]!;
      // 1000 × 1 × (1 ± 1) = 0..2000.
      expect(cpu).toBeGreaterThanOrEqual(0);
      expect(cpu).toBeLessThanOrEqual(2000);
      expect(mib).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("podUsageTotal", () => {
  it("sums every container of every pod", () => {
    // 250 + 25 + 100 m; 128 + 0.1 + 33.3 MiB = 161.4 (not 161.39999…).
    expect(podUsageTotal({ a: { web: [250, 128], side: [25, 0.1] }, b: { main: [100, 33.3] } })).toEqual({ cpuMilli: 375, memoryMiB: 161.4 });
    expect(podUsageTotal({})).toEqual({ cpuMilli: 0, memoryMiB: 0 });
  });
});

describe("parseHollowUsage", () => {
  it.each([
    // Every key given.
    ["cpu=0.5,memory=0.6,noise=0.1", { cpuFraction: 0.5, memoryFraction: 0.6, noise: 0.1 }],
    // A subset, any order, spaces and case tolerated; the rest keep the defaults (0.5, 0.5, 0.1).
    [" noise = 0 , CPU=2 ", { cpuFraction: 2, memoryFraction: 0.5, noise: 0 }],
    // Empty: all defaults.
    ["", DEFAULT_HOLLOW_USAGE],
    // off: no reports (the defaults stay, unused).
    ["off", { ...DEFAULT_HOLLOW_USAGE, report: false }],
  ])("%j", (text, options) => {
    expect(parseHollowUsage(text)).toEqual({ ok: true, options });
  });

  it.each([
    ["cpu=0.5,disk=1", /"disk=1" is not one of cpu=, memory=, noise=/],
    ["cpu", /"cpu" is not one of/],
    ["cpu=-1", /cpu must be a number from 0 to 10, got "-1"/],
    ["memory=11", /memory must be a number from 0 to 10, got "11"/],
    ["noise=1.5", /noise must be a number from 0 to 1, got "1.5"/],
    ["cpu=abc", /cpu must be a number/],
    ["cpu=1e3", /cpu must be a number/],
    ["cpu=1,cpu=2", /cpu is given twice/],
  ])("%j is refused", (text, error) => {
    const parsed = parseHollowUsage(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(error);
      expect(parsed.error).toContain("e.g. cpu=0.5,memory=0.6,noise=0.1, or off");
    }
  });
});
