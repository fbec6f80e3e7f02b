import { constants } from "node:os";
import {
  backoffDelayMs,
  containerReady,
  containerRunning,
  containerStarted,
  containerTerminated,
  containerWaiting,
  crashLoopBackOff,
  restartDecision,
  shouldResetBackoff,
  type ContainerEvent,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type KubeletSettings,
  type LimitEnforcement,
  type RestartPolicy,
} from "@kube9/core";
import { DEFAULT_PATH, resolveExecutable } from "../containers/launch.js";
import { startContainer, type ContainerExit, type ContainerHandle, type ExecContext } from "../containers/process-container.js";
import type { CgroupManager, CgroupUsage } from "../containers/cgroups.js";
import type { ContainerLog } from "../containers/container-log.js";
import type { ProcEntry } from "../containers/proc.js";
import { imageName, resolveImage, type ImageEnv } from "../images.js";
import type { PodAddress } from "../network/pod-network.js";
import { ProbeSet } from "./probe-set.js";

// One container of a pod across all its runs: image lookup, start, exit, the restart policy with
// CrashLoopBackOff, and its probes. Everything it does ends in a ContainerStatus; the pod worker
// turns those into the pod's report.

/** What the kubelet server needs from a container (logs and exec). */
export interface ContainerAccess {
  /** The log of the latest run, if the container ever started. */
  readonly log: ContainerLog | undefined;
  /** Whether an earlier run ended (so `logs --previous` has something to show). */
  readonly hasPrevious: boolean;
  /** Why the container is not running, when it waits. */
  readonly waitingReason: string | undefined;
  /** The running container to exec in, or undefined. */
  readonly execContext: ExecContext | undefined;
  /** The argv that runs `command` with the image's programs. */
  execArgv(command: string[]): string[];
}

/** Options of a {@link ContainerRunner}. */
export interface ContainerRunnerOptions {
  pod: { id: string; name: string; namespace: string };
  spec: ContainerSpec;
  restartPolicy: RestartPolicy;
  /** Grace of a liveness kill (the pod's terminationGracePeriodSeconds, as in Kubernetes). */
  graceMs: number;
  logDir: string;
  cgroups: () => CgroupManager | null;
  imageEnv: ImageEnv;
  /** The cluster's back-off settings, read at each exit so that a change applies from the next restart. */
  settings: () => KubeletSettings;
  /** Shell that joins the cgroup before exec (default /bin/sh). */
  shell?: string;
  /** The pod's network namespace and IP, once made (undefined: the agent's network). */
  sandbox?: () => PodAddress | undefined;
  /** Something in the status may have changed. */
  onChange: () => void;
  /** Something worth an event happened to the container (Started, Killing, BackOff, ...). */
  onEvent?: (event: ContainerEvent) => void;
}

/** Kubernetes' exit code for a container that could not be started. */
const START_ERROR_EXIT = 128;

/** Core's back-off bounds from the kubelet settings. */
function backoffOf(s: KubeletSettings): { initialMs: number; maxMs: number } {
  return { initialMs: s.backoffInitialMs, maxMs: s.backoffMaxMs };
}

/** The container's environment: the pod's identity first, so the spec's own values win. */
function containerEnvironment(opts: ContainerRunnerOptions): Record<string, string> {
  const env: Record<string, string> = { HOSTNAME: opts.pod.name, POD_NAME: opts.pod.name, POD_NAMESPACE: opts.pod.namespace };
  for (const { name, value } of opts.spec.env) env[name] = value;
  return env;
}

/** Runs one container of a pod under its restart policy. */
export class ContainerRunner implements ContainerAccess {
  readonly id: string;
  private handle: ContainerHandle | undefined;
  private running = false;
  private state: ContainerState = containerWaiting("ContainerCreating");
  private lastState: ContainerState | Record<string, never> = {};
  private restartCount = 0;
  /** Restarts since the back-off was last reset (core's backoffDelayMs counts these). */
  private backoffRestarts = 0;
  private pullFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private launching: Promise<void> | undefined;
  private stopped = false;
  private probes: ProbeSet | undefined;
  private enforcementSeen: LimitEnforcement | undefined;

  constructor(private readonly opts: ContainerRunnerOptions) {
    this.id = `${opts.pod.id}_${opts.spec.name}`;
  }

  get name(): string {
    return this.opts.spec.name;
  }

  get log(): ContainerLog | undefined {
    return this.handle?.log;
  }

  get hasPrevious(): boolean {
    return "terminated" in this.lastState;
  }

  get waitingReason(): string | undefined {
    return "waiting" in this.state ? this.state.waiting.reason : undefined;
  }

  get execContext(): ExecContext | undefined {
    return this.running ? this.handle : undefined;
  }

  /**
   * A busybox image has nothing but busybox applets, so `sh` or `test` in an exec or exec probe is
   * busybox's, as in a real busybox container (a node image may have no /bin/sh at all).
   */
  execArgv(command: string[]): string[] {
    const busybox = this.busybox();
    if (!busybox) return command;
    if (imageName(this.opts.spec.image) === "busybox") return [busybox, ...command];
    // Other images (kube9/workload) bring only their program; a command the node does not have, such as `sh`
    // on a docker node whose image has no /bin/sh, is busybox's applet, like a debug shell's.
    const path = this.opts.spec.env.find((e) => e.name === "PATH")?.value ?? DEFAULT_PATH;
    const [first] = command;
    return first !== undefined && resolveExecutable(first, path) === undefined ? [busybox, ...command] : command;
  }

  /** The node's busybox binary, if it has one. */
  private busybox(): string | undefined {
    const resolved = resolveImage("busybox", ["true"], [], this.opts.imageEnv);
    return "argv" in resolved ? resolved.argv[0] : undefined;
  }

  get enforcement(): LimitEnforcement | undefined {
    return this.enforcementSeen;
  }

  /** Starts the first run. */
  start(): void {
    this.launching = this.launch();
  }

  /** The status as Kubernetes reports it. */
  status(): ContainerStatus {
    const started = this.running && (this.probes?.started ?? containerStarted(this.opts.spec, undefined));
    const readiness = this.probes?.state("readiness");
    return {
      name: this.opts.spec.name,
      image: this.opts.spec.image,
      state: this.state,
      lastState: this.lastState,
      ready: containerReady(this.opts.spec, this.running, started, readiness),
      started,
      restartCount: this.restartCount,
    };
  }

  /** Runs the probes that are due. */
  tick(now: number): void {
    if (this.running && !this.stopped) this.probes?.tick(now);
  }

  /** Current use of the running container, with when its run started (where its CPU counter was zero). */
  usage(procTable?: () => readonly ProcEntry[]): { usage: CgroupUsage; startedAt: number } | undefined {
    const handle = this.running ? this.handle : undefined;
    return handle ? { usage: handle.usage(procTable), startedAt: handle.startedAt } : undefined;
  }

  /** Stops for good: no more restarts; SIGTERM, then SIGKILL after `graceMs`. Resolves when it is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.launching;
    if (!this.handle || !this.running) return;
    this.event("Normal", "Killing", `Stopping container ${this.name}`);
    await this.handle.stop(graceMs);
  }

  /** Pids of a live run, for a last-resort kill when the agent exits. */
  pids(): number[] {
    return this.running && this.handle ? [this.handle.pgid, ...this.handle.pids()] : [];
  }

  private async launch(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const { spec } = this.opts;
    const image = resolveImage(spec.image, spec.command, spec.args, this.opts.imageEnv);
    if ("error" in image) return this.imagePullFailed(image.error);
    this.pullFailures = 0;
    let handle: ContainerHandle;
    const at = Date.now();
    const sandbox = this.opts.sandbox?.();
    try {
      handle = await startContainer({
        id: this.id,
        argv: image.argv,
        env: containerEnvironment(this.opts),
        logDir: this.opts.logDir,
        limits: spec.limits,
        cgroups: this.opts.cgroups(),
        ...(sandbox ? { netns: sandbox.netns } : {}),
        ...(this.opts.shell ? { shell: this.opts.shell } : {}),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const exit = { exitCode: START_ERROR_EXIT, oomKilled: false, startedAt: at, finishedAt: Date.now() };
      return this.exited(exit, { reason: "StartError", message });
    }
    this.handle = handle;
    this.running = true;
    this.event("Normal", "Started", `Started container ${this.name}`);
    this.enforcementSeen = { ...handle.enforcement };
    this.state = containerRunning(handle.startedAt);
    this.probes = new ProbeSet({
      spec,
      container: handle,
      execArgv: (command) => this.execArgv(command),
      ...(sandbox ? { network: { podIP: sandbox.ip, netns: sandbox.netns, busybox: this.busybox() } } : {}),
      startedAt: handle.startedAt,
      onResult: () => this.opts.onChange(),
      onKill: () => void handle.stop(this.opts.graceMs),
      onEvent: (event) => this.opts.onEvent?.(event),
    });
    void handle.exited.then((exit) => {
      if (this.handle !== handle) return;
      this.running = false;
      this.exited(exit);
    });
    this.opts.onChange();
    // stop() came while starting: it awaits `launching`, then stops this run.
  }

  /** Records an ended run and, if the policy says so, schedules the next one after the back-off. */
  private exited(exit: Pick<ContainerExit, "exitCode" | "oomKilled" | "startedAt" | "finishedAt" | "signal">, override?: { reason: string; message: string }): void {
    const signal = exit.signal ? constants.signals[exit.signal as NodeJS.Signals] : undefined;
    const { exitCode, oomKilled, startedAt, finishedAt } = exit;
    const terminated = containerTerminated({ exitCode, oomKilled, startedAt, finishedAt, ...(signal !== undefined ? { signal } : {}) });
    if (override) Object.assign(terminated.terminated, override);
    if (override) this.event("Warning", "Failed", `Error: ${override.message}`);
    if (oomKilled) this.event("Warning", "OOMKilling", this.oomMessage());
    if (this.stopped || !restartDecision(this.opts.restartPolicy, exit.exitCode)) {
      this.state = terminated;
      this.opts.onChange();
      return;
    }
    const settings = this.opts.settings();
    if (shouldResetBackoff(exit.finishedAt - exit.startedAt, { resetAfterMs: settings.backoffResetMs })) this.backoffRestarts = 0;
    const delay = backoffDelayMs(this.backoffRestarts, backoffOf(settings));
    this.event("Warning", "BackOff", `Back-off restarting failed container ${this.name} in pod ${this.opts.pod.name}`);
    this.lastState = terminated;
    this.state = crashLoopBackOff(delay, this.opts.spec.name, this.opts.pod.name, this.opts.pod.namespace);
    this.timer = setTimeout(() => {
      this.backoffRestarts++;
      this.restartCount++;
      this.launching = this.launch();
    }, delay);
    this.opts.onChange();
  }

  /** The image is not on this node: ErrImagePull, then ImagePullBackOff while retrying with back-off. */
  private imagePullFailed(error: string): void {
    const first = this.pullFailures++ === 0;
    this.state = first
      ? containerWaiting("ErrImagePull", error)
      : containerWaiting("ImagePullBackOff", `Back-off pulling image "${this.opts.spec.image}": ${error}`);
    this.event("Warning", "Failed", error);
    if (!first) this.event("Normal", "BackOff", `Back-off pulling image "${this.opts.spec.image}"`);
    // A builtin image can appear later (e.g. the workload bundle gets built), so keep trying, slowly.
    const delay = backoffDelayMs(this.pullFailures - 1, backoffOf(this.opts.settings()));
    this.timer = setTimeout(() => (this.launching = this.launch()), delay);
    this.opts.onChange();
  }

  /**
   * Kubernetes' OOMKilling names the process; a Kube-9 container is one process group, so its name and limit say
   * it, and who killed it: the kernel (a memory cgroup) or the node agent (where there is none, e.g. docker nodes).
   */
  private oomMessage(): string {
    const limit = this.opts.spec.limits.memoryMiB;
    const over = limit !== undefined ? ` (limit ${limit}Mi)` : "";
    if (this.enforcementSeen?.memory === "agent") return `Over its memory limit: the node agent killed container ${this.name}${over}`;
    return `Memory cgroup out of memory: killed container ${this.name}${over}`;
  }

  private event(type: ContainerEvent["type"], reason: string, message: string): void {
    this.opts.onEvent?.({ type, reason, message });
  }
}
