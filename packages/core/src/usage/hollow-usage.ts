import { imageBaseName } from "../pods/hollow.js";
import { BUILTIN_IMAGES, type ContainerSpec } from "../pods/types.js";
import type { Resources } from "../types.js";
import { roundMiB, type PodUsageReport } from "./types.js";

// Hollow nodes run no processes, so their pods' use is made up: a fraction of each container's
// request, varied by noise that is a hash of pod, container and second. The same inputs always give
// the same figures (tests can assert them), and scale tests exercise the same reporting path as
// real nodes.

/** How hollow nodes make up their pods' use. */
export interface HollowUsageOptions {
  /** Share of each container's CPU request used on average (above 1: more than it asked for). */
  cpuFraction: number;
  /** Share of each container's memory request used on average. */
  memoryFraction: number;
  /** Each figure varies within ±noise of its average (0.1: ±10%), from one second to the next. */
  noise: number;
  /** False: hollow nodes send no usage at all (`off`; to measure what reporting costs). */
  report?: boolean;
}

/** Half of each request, ±10%. */
export const DEFAULT_HOLLOW_USAGE: Readonly<HollowUsageOptions> = Object.freeze({ cpuFraction: 0.5, memoryFraction: 0.5, noise: 0.1 });

/** Bounds of {@link parseHollowUsage}: fractions up to 10 (ten times the request), noise up to 1 (±100%). */
export const HOLLOW_USAGE_LIMITS = Object.freeze({ maxFraction: 10, maxNoise: 1 });

const BUILTIN = new Set<string>(BUILTIN_IMAGES);

/** FNV-1a of a string: a cheap, stable seed per pod. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes an integer into a seed (murmur3's finalizer), so neighbouring seconds or containers look unrelated. */
function mix(seed: number, value: number): number {
  let h = (seed ^ Math.imul(value | 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A factor in [1 - noise, 1 + noise) from a hash. */
function jitter(hash: number, noise: number): number {
  return 1 + noise * ((hash / 2 ** 32) * 2 - 1);
}

/**
 * One pod's made-up use at `nowMs`, per container: [cpuMilli, memoryMiB] = request × fraction ×
 * (1 ± noise). Only containers that would run report (images a node lacks wait in ErrImagePull, see
 * hollowPodStatus); a container without a request reports 0 (there is nothing to take a share of).
 */
export function hollowPodUsage(
  podId: string,
  containers: ReadonlyArray<Pick<ContainerSpec, "name" | "image" | "requests">>,
  nowMs: number,
  opts: HollowUsageOptions = DEFAULT_HOLLOW_USAGE,
): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  const second = Math.floor(nowMs / 1000);
  const pod = mix(fnv1a(podId), second);
  containers.forEach((c, i) => {
    if (!BUILTIN.has(imageBaseName(c.image))) return;
    const seed = mix(pod, i);
    const cpu = (c.requests.cpuMilli ?? 0) * opts.cpuFraction * jitter(mix(seed, 1), opts.noise);
    const memory = (c.requests.memoryMiB ?? 0) * opts.memoryFraction * jitter(mix(seed, 2), opts.noise);
    out[c.name] = [Math.max(0, Math.round(cpu)), Math.max(0, roundMiB(memory))];
  });
  return out;
}

/** The sum of every container in a report (a node's total), rounded as reported. */
export function podUsageTotal(report: PodUsageReport): Resources {
  let cpuMilli = 0;
  let memoryMiB = 0;
  for (const containers of Object.values(report)) {
    for (const [cpu, mib] of Object.values(containers)) {
      cpuMilli += cpu;
      memoryMiB += mib;
    }
  }
  return { cpuMilli, memoryMiB: roundMiB(memoryMiB) };
}

/**
 * Reads `cpu=0.5,memory=0.6,noise=0.1` (any subset, in any order; the rest keep their defaults).
 * Returns the options, or why the text is not that.
 */
export function parseHollowUsage(text: string): { ok: true; options: HollowUsageOptions } | { ok: false; error: string } {
  const options: HollowUsageOptions = { ...DEFAULT_HOLLOW_USAGE };
  if (text.trim().toLowerCase() === "off") return { ok: true, options: { ...options, report: false } };
  const keys = { cpu: "cpuFraction", memory: "memoryFraction", noise: "noise" } as const;
  const seen = new Set<string>();
  const { maxFraction, maxNoise } = HOLLOW_USAGE_LIMITS;
  const expected = `comma-separated key=value with keys cpu and memory (0..${maxFraction}, share of each request) and noise (0..${maxNoise}), e.g. cpu=0.5,memory=0.6,noise=0.1, or off`;
  for (const part of text.split(",").map((p) => p.trim())) {
    if (part === "") continue;
    const match = /^([a-z]+)\s*=\s*(\S+)$/i.exec(part);
    const key = match?.[1]?.toLowerCase();
    if (!match || !key || !(key in keys)) return { ok: false, error: `"${part}" is not one of cpu=, memory=, noise= (expected ${expected})` };
    if (seen.has(key)) return { ok: false, error: `${key} is given twice (expected ${expected})` };
    seen.add(key);
    const value = Number(match[2]);
    const max = key === "noise" ? maxNoise : maxFraction;
    if (!/^\d*\.?\d+$/.test(match[2]!) || !(value >= 0 && value <= max)) {
      return { ok: false, error: `${key} must be a number from 0 to ${max}, got "${match[2]}" (expected ${expected})` };
    }
    options[keys[key as keyof typeof keys]] = value;
  }
  return { ok: true, options };
}
