import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pollUntil, signalAll } from "./proc.js";

// One cgroup per container under a kube9-owned parent. Which hierarchy a machine offers is
// detected, never assumed: v2 (unified, memory+cpu delegable), v1 (separate controller mounts,
// possibly co-mounted as cpu,cpuacct), or none (not root, read-only /sys as in a docker node).

/** How one limit of a container is enforced. */
export type MemoryEnforcement = "cgroup-v1" | "cgroup-v2" | "agent" | "none";
export type CpuEnforcement = "cgroup-v1" | "cgroup-v2" | "none";
export interface Enforcement {
  memory: MemoryEnforcement;
  cpu: CpuEnforcement;
}

/** Where the usable controllers are mounted. v1 fields are controller mount points; v2 is the unified root. */
export type CgroupLayout =
  | { version: "v1"; memory?: string; cpu?: string; cpuacct?: string }
  | { version: "v2"; unified: string };

/** Result of {@link detectCgroups}: a layout, or null with the reason nothing is usable. */
export interface CgroupDetection {
  layout: CgroupLayout | null;
  reason: string;
}

/** CPU and memory limits in Kubernetes units. */
export interface Limits {
  cpuMilli?: number;
  memoryMiB?: number;
}

const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas under 1 ms. */
const MIN_QUOTA_US = 1_000;

function writable(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Reads `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function readKeyed(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (readText(path) ?? "").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/** Finds a writable cgroup hierarchy with the memory and/or cpu controllers, preferring v2. */
export function detectCgroups(mountsFile = "/proc/self/mounts"): CgroupDetection {
  const mounts = (readText(mountsFile) ?? "").split("\n").map((l) => l.split(" "));
  const reasons: string[] = [];
  for (const [, point, type, options] of mounts) {
    if (type !== "cgroup2" || !point) continue;
    const controllers = (readText(join(point, "cgroup.controllers")) ?? "").trim().split(/\s+/);
    if (!controllers.includes("memory") || !controllers.includes("cpu")) {
      reasons.push(`${point}: cgroup2 without memory+cpu controllers`);
    } else if (!options?.split(",").includes("rw") || !writable(point)) {
      reasons.push(`${point}: cgroup2 not writable`);
    } else {
      return { layout: { version: "v2", unified: point }, reason: `cgroup v2 at ${point}` };
    }
  }
  const v1: { memory?: string; cpu?: string; cpuacct?: string } = {};
  for (const [, point, type, options] of mounts) {
    if (type !== "cgroup" || !point || !options) continue;
    const opts = options.split(",");
    if (!opts.includes("rw") || !writable(point)) continue;
    for (const ctrl of ["memory", "cpu", "cpuacct"] as const) if (opts.includes(ctrl)) v1[ctrl] ??= point;
  }
  if (v1.memory || v1.cpu) {
    const found = Object.entries(v1).map(([c, p]) => `${c}=${p}`).join(" ");
    return { layout: { version: "v1", ...v1 }, reason: `cgroup v1 (${found})` };
  }
  reasons.push("no writable cgroup v1 memory or cpu controller");
  return { layout: null, reason: reasons.join("; ") };
}

/** Turns on memory and cpu for the children of `dir` (v2 only delegates what the parent enables). */
function enableSubtree(dir: string): void {
  const enabled = (readText(join(dir, "cgroup.subtree_control")) ?? "").split(/\s+/);
  if (enabled.includes("memory") && enabled.includes("cpu")) return;
  writeFileSync(join(dir, "cgroup.subtree_control"), "+memory +cpu");
}

/** Options of {@link createCgroupManager}. */
export interface CgroupManagerOptions {
  nodeId: string;
  /** Default: {@link detectCgroups}. */
  layout?: CgroupLayout | null;
  /** Name of the kube9-owned parent under each hierarchy (default "kube9"). */
  parent?: string;
}

/** Creates the manager, or returns null when no hierarchy is usable or the node's parent cannot be made. */
export function createCgroupManager(opts: CgroupManagerOptions): CgroupManager | null {
  const layout = opts.layout === undefined ? detectCgroups().layout : opts.layout;
  if (!layout) return null;
  try {
    return new CgroupManager(layout, opts.parent ?? "kube9", opts.nodeId);
  } catch {
    return null;
  }
}

/** Makes, limits, reads and removes one cgroup per container under `<mount>/<parent>/<nodeId>`. */
export class CgroupManager {
  /** The node's own directory in each hierarchy in use. */
  readonly nodeDirs: string[];

  constructor(
    readonly layout: CgroupLayout,
    parent: string,
    nodeId: string,
  ) {
    if (layout.version === "v2") {
      const top = join(layout.unified, parent);
      const node = join(top, nodeId);
      enableSubtree(layout.unified);
      mkdirSync(node, { recursive: true });
      enableSubtree(top);
      enableSubtree(node);
      this.nodeDirs = [node];
    } else {
      const mounts = [...new Set([layout.memory, layout.cpu, layout.cpuacct].filter((m): m is string => !!m))];
      this.nodeDirs = mounts.map((m) => join(m, parent, nodeId));
      for (const dir of this.nodeDirs) mkdirSync(dir, { recursive: true });
    }
  }

  /** Which limits this manager can enforce. */
  get enforcement(): Enforcement {
    const l = this.layout;
    if (l.version === "v2") return { memory: "cgroup-v2", cpu: "cgroup-v2" };
    return { memory: l.memory ? "cgroup-v1" : "none", cpu: l.cpu ? "cgroup-v1" : "none" };
  }

  /** Creates (or recreates, killing leftovers of an earlier run) the container's cgroup and applies its limits. */
  async create(containerId: string, limits: Limits): Promise<ContainerCgroup> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(containerId)) throw new Error(`invalid container id for a cgroup: ${containerId}`);
    const l = this.layout;
    const dirFor = (mount: string | undefined) => (mount ? this.nodeDirs.find((d) => d.startsWith(`${mount}/`)) : undefined);
    const dirs =
      l.version === "v2"
        ? { memory: this.nodeDirs[0], cpu: this.nodeDirs[0], cpuacct: this.nodeDirs[0] }
        : { memory: dirFor(l.memory), cpu: dirFor(l.cpu), cpuacct: dirFor(l.cpuacct) };
    const cg = new ContainerCgroup(l.version, {
      memory: dirs.memory && join(dirs.memory, containerId),
      cpu: dirs.cpu && join(dirs.cpu, containerId),
      cpuacct: dirs.cpuacct && join(dirs.cpuacct, containerId),
    });
    // A leftover from a crashed agent would carry old OOM counters; start from a fresh directory.
    if (cg.dirs.some((d) => existsSync(d))) await cg.remove();
    for (const dir of cg.dirs) mkdirSync(dir);
    try {
      cg.applyLimits(limits);
    } catch (err) {
      await cg.remove();
      throw err;
    }
    return cg;
  }

  /** Removes the node's (empty) directories and the kube9 parent if no other node uses it; for when the agent leaves. */
  removeNodeDirs(): void {
    for (const dir of this.nodeDirs.flatMap((d) => [d, dirname(d)])) {
      try {
        rmdirSync(dir);
      } catch {
        // still in use (containers, other nodes) or already gone
      }
    }
  }
}

/** Resource use read from a container's cgroup. */
export interface CgroupUsage {
  /** Total CPU time in nanoseconds, when an accounting controller is available. */
  cpuNanos?: number;
  /** Working set: usage minus inactive page cache, as the kubelet reports it. */
  memoryBytes?: number;
}

/** The cgroup(s) of one container: a directory per v1 controller mount, or one v2 directory. */
export class ContainerCgroup {
  /** Distinct directories, one per hierarchy. */
  readonly dirs: string[];

  constructor(
    readonly version: "v1" | "v2",
    readonly paths: { memory?: string; cpu?: string; cpuacct?: string },
  ) {
    this.dirs = [...new Set([paths.memory, paths.cpu, paths.cpuacct].filter((d): d is string => !!d))];
  }

  /** The files a process writes its pid into to join every hierarchy. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, "cgroup.procs"));
  }

  /** Writes the memory limit (without swap headroom) and the CFS quota. */
  applyLimits(limits: Limits): void {
    const { memory, cpu } = this.paths;
    if (memory && limits.memoryMiB !== undefined) {
      const bytes = String(Math.round(limits.memoryMiB * 1024 * 1024));
      if (this.version === "v2") {
        writeFileSync(join(memory, "memory.max"), bytes);
        if (existsSync(join(memory, "memory.swap.max"))) writeFileSync(join(memory, "memory.swap.max"), "0");
      } else {
        writeFileSync(join(memory, "memory.limit_in_bytes"), bytes);
        // memsw exists only with swap accounting; equal to the limit means "no swap on top".
        if (existsSync(join(memory, "memory.memsw.limit_in_bytes"))) writeFileSync(join(memory, "memory.memsw.limit_in_bytes"), bytes);
      }
    }
    if (cpu && limits.cpuMilli !== undefined) {
      const quota = Math.max(MIN_QUOTA_US, Math.round((limits.cpuMilli * CFS_PERIOD_US) / 1000));
      if (this.version === "v2") {
        writeFileSync(join(cpu, "cpu.max"), `${quota} ${CFS_PERIOD_US}`);
      } else {
        writeFileSync(join(cpu, "cpu.cfs_period_us"), String(CFS_PERIOD_US));
        writeFileSync(join(cpu, "cpu.cfs_quota_us"), String(quota));
      }
    }
  }

  /** Every pid in the container's cgroup(s). */
  pids(): number[] {
    const all = new Set<number>();
    for (const file of this.procsFiles) {
      for (const line of (readText(file) ?? "").split("\n")) if (line.trim()) all.add(Number(line));
    }
    return [...all];
  }

  /** Current CPU time and working set. */
  usage(): CgroupUsage {
    const { memory, cpuacct } = this.paths;
    const out: CgroupUsage = {};
    if (memory) {
      const v2 = this.version === "v2";
      const raw = readText(join(memory, v2 ? "memory.current" : "memory.usage_in_bytes"));
      const inactive = readKeyed(join(memory, "memory.stat")).get(v2 ? "inactive_file" : "total_inactive_file") ?? 0;
      if (raw !== undefined) out.memoryBytes = Math.max(0, Number(raw.trim()) - inactive);
    }
    if (cpuacct) {
      if (this.version === "v2") {
        const usec = readKeyed(join(cpuacct, "cpu.stat")).get("usage_usec");
        if (usec !== undefined) out.cpuNanos = usec * 1000;
      } else {
        const ns = readText(join(cpuacct, "cpuacct.usage"));
        if (ns !== undefined) out.cpuNanos = Number(ns.trim());
      }
    }
    return out;
  }

  /**
   * Whether the kernel OOM killer ended this container: an oom_kill event in its cgroup and a
   * failed exit. Kernels without the oom_kill counter (v1 before 4.13) fall back to "hit the
   * limit (failcnt) and died by SIGKILL".
   */
  oomKilled(exitCode: number): boolean {
    const { memory } = this.paths;
    if (!memory || exitCode === 0) return false;
    if (this.version === "v2") return (readKeyed(join(memory, "memory.events")).get("oom_kill") ?? 0) > 0;
    const control = readKeyed(join(memory, "memory.oom_control"));
    const kills = control.get("oom_kill");
    if (kills !== undefined) return kills > 0;
    const failcnt = Number((readText(join(memory, "memory.failcnt")) ?? "0").trim());
    return exitCode === 137 && (failcnt > 0 || control.get("under_oom") === 1);
  }

  /** Kills anything still inside, then removes the directories (the kernel refuses while members remain). */
  async remove(): Promise<void> {
    const present = () => this.dirs.filter((d) => existsSync(d));
    const gone = await pollUntil(() => {
      signalAll(undefined, this.pids(), "SIGKILL");
      for (const dir of present()) {
        try {
          rmdirSync(dir);
        } catch {
          // EBUSY until the last member is reaped
        }
      }
      return present().length === 0;
    }, 5_000, 25);
    if (!gone) throw new Error(`cgroup still busy: ${present().join(", ")}`);
  }
}
