// A little over 350 lines on purpose: the agent's one loop (register, heartbeat, hand each answer to the
// kubelet, report back, shut down cleanly) reads best in one place; the kubelet itself lives in kubelet/.
import type { ComponentStatus, NodeRole, Resources } from "@kube9/client";
import { componentsForRole, type KubeletEndpoint, type KubeletSettings } from "@kube9/core";
import { AgentApiClient, ApiError } from "./api-client.js";
import { backoffDelay, REGISTER_BACKOFF, type BackoffOptions } from "./backoff.js";
import { callWithTimeout, sleepUnless } from "./calls.js";
import { describeError, errorCode } from "./errors.js";
import { Kubelet, type KubeletOptions, type SyncChanges } from "./kubelet/kubelet.js";
import { createLogger, type AgentLogger } from "./log.js";
import { createHeartbeatUsage, type HeartbeatUsage, type UsageSampler } from "./usage.js";

export { describeError, RequestTimeoutError } from "./errors.js";

export const AGENT_VERSION = "0.1.0";

/**
 * Answers that mean the API will never accept this agent again (node removed, credential
 * revoked): retrying would only hammer the API, so the agent ends instead.
 */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "PRECONDITION_FAILED",
]);

/** Options of a {@link NodeAgent}. */
export interface NodeAgentOptions {
  /** API base URL, e.g. http://127.0.0.1:7070, or several separated by commas (any API process of the cluster). */
  url: string;
  nodeId: string;
  /** The node's own credential (valid only for this nodeId). */
  token: string;
  /** Shown in logs; defaults to the node id. */
  name?: string;
  log?: AgentLogger;
  agentVersion?: string;
  /** Replaces what each heartbeat reports as usage, then without agentUsage and podUsage (default: measured). */
  usage?: UsageSampler;
  /** Per-request limit for register and heartbeat (default: twice the interval, 1 s .. 10 s). */
  requestTimeoutMs?: number;
  /** How long stop({ leave: true }) waits for the API (default 1.5 s). */
  leaveTimeoutMs?: number;
  registerBackoff?: BackoffOptions;
  /** Container logs, cgroups and kubelet tuning (the node id and logger are the agent's). */
  kubelet?: Omit<KubeletOptions, "nodeId" | "log">;
  /** On stop, containers get SIGTERM and this long before SIGKILL (default 1 s: runtimes kill agents after 3 s). */
  shutdownGraceMs?: number;
}

/** What the API told the agent at registration. */
export interface Registration {
  nodeId: string;
  name: string;
  role: NodeRole;
  heartbeatIntervalMs: number;
  capacity: Resources;
  /** The node's pod address range (an older API may not send one: then pods get no IP). */
  podCIDR?: string;
  /** The cluster's kubelet settings (an older API may not send them: then the node's own hold). */
  kubelet?: KubeletSettings;
}

/** Why an agent ended; `done` resolves with it. */
export type AgentExit =
  | { reason: "stopped"; left: boolean }
  | { reason: "rejected"; code: string; message: string }
  | { reason: "failed"; message: string };

const DEFAULT_INTERVAL_MS = 1_000;
const DEFAULT_LEAVE_TIMEOUT_MS = 1_500;
const DEFAULT_SHUTDOWN_GRACE_MS = 1_000;
/** A container event wakes the loop early, but beats never come closer together than this. */
const MIN_BEAT_GAP_MS = 100;
const REGISTER_TIMEOUT_MS = 5_000;
/** A server that changes its mind on every answer must not turn the loop into a busy spin. */
const MAX_IMMEDIATE_BEATS = 5;

/**
 * A node agent: registers with the API, heartbeats, and hands each answer to its kubelet, which runs
 * the pods' containers and reports their statuses. Holds no global state, so many can run in one
 * process (tests, hollow nodes).
 */
export class NodeAgent {
  /** Resolves once, when the agent has ended; never rejects. */
  readonly done: Promise<AgentExit>;

  private readonly opts: NodeAgentOptions;
  private readonly log: AgentLogger;
  private readonly client: AgentApiClient;
  private readonly sampleUsage: (podIds: readonly string[]) => HeartbeatUsage;
  private readonly abort = new AbortController();
  private readonly kubelet: Kubelet;
  /** The pod ids of the last delivered report, to tell when the set changed since. */
  private reportedPods = "";
  /** The NetworkPolicy report of the last delivered heartbeat, to beat again at once when the dataplane caught up. */
  private reportedNetpol = "";
  private podsStopped: Promise<void> | undefined;
  private resolveDone!: (exit: AgentExit) => void;
  private exit: AgentExit | undefined;
  private reg: Registration | undefined;
  private components: Record<string, ComponentStatus> = {};
  private intervalMs = DEFAULT_INTERVAL_MS;
  private answeredAt = Date.now();
  private starting: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(opts: NodeAgentOptions) {
    this.opts = opts;
    this.log = opts.log ?? createLogger({ name: opts.name ?? opts.nodeId });
    this.client = new AgentApiClient({ url: opts.url, token: opts.token });
    this.kubelet = new Kubelet({ ...opts.kubelet, nodeId: opts.nodeId, log: this.log });
    const fixed = opts.usage;
    this.sampleUsage = fixed ? () => ({ usage: fixed() }) : createHeartbeatUsage(() => this.kubelet.sampleUsage());
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** What the API said at registration, once registered. */
  get registration(): Registration | undefined {
    return this.reg;
  }

  /** The pods this node hosts now. */
  get podIds(): string[] {
    return this.kubelet.podIds();
  }

  /** The API addresses this agent knows, the one in use first. */
  get apiUrls(): string[] {
    return this.client.urls;
  }

  /** When an API last answered (ms since the epoch; the start time before any answer). */
  get lastAnswerAt(): number {
    return this.answeredAt;
  }

  /** How the agent ended, or undefined while it runs. */
  get exitReason(): AgentExit | undefined {
    return this.exit;
  }

  /**
   * Registers (retrying while the API is unreachable) and starts the heartbeat loop.
   * Resolves once registered, or once the agent has ended without registering (see `done`).
   */
  start(): Promise<void> {
    this.starting ??= new Promise<void>((registered) => {
      this.running = this.run(registered);
    });
    return this.starting;
  }

  /** Stops the loop and, if asked and registered, tells the API the node leaves. Idempotent. */
  stop(opts: { leave: boolean; reason?: string }): Promise<void> {
    this.stopping ??= this.shutdown(opts);
    return this.stopping;
  }

  private async shutdown(opts: { leave: boolean; reason?: string }): Promise<void> {
    this.abort.abort();
    await this.running;
    if (this.exit) {
      await this.done;
      return;
    }
    // Containers stop before the node leaves, so the API never sees a pod run in two places.
    await this.stopPods();
    let left = false;
    if (opts.leave && this.reg) {
      const input = opts.reason === undefined ? { nodeId: this.opts.nodeId } : { nodeId: this.opts.nodeId, reason: opts.reason };
      try {
        await this.call(
          this.opts.leaveTimeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS,
          (signal) => this.client.call("agent.leave", input, signal),
          false,
        );
        left = true;
        this.log.info("left the cluster");
      } catch (err) {
        this.log.warn(`could not leave the cluster (${describeError(err)}); exiting anyway`);
      }
    }
    this.log.info("stopped");
    this.finish({ reason: "stopped", left });
  }

  private async run(registered: () => void): Promise<void> {
    try {
      if (this.abort.signal.aborted) return;
      const kubelet = await this.kubelet.listen().catch((err: unknown) => {
        this.log.warn(`kubelet server cannot listen (${describeError(err)}); logs and exec are unavailable`);
        return undefined;
      });
      const reg = await this.register(kubelet);
      if (!reg) return;
      this.setInterval(reg.heartbeatIntervalMs);
      this.kubelet.applySettings(reg.kubelet);
      this.reg = reg;
      this.components = Object.fromEntries(componentsForRole(reg.role).map((c) => [c, "Healthy" as const]));
      this.log.info(
        `registered as ${reg.name} (${reg.role}, ${reg.capacity.cpuMilli}m CPU, ${reg.capacity.memoryMiB} MiB, heartbeat every ${this.intervalMs} ms)`,
      );
      // Before the first heartbeat, so no pod starts without knowing which network it gets.
      await this.kubelet.configureNetwork(reg.podCIDR);
      registered();
      await this.heartbeatLoop();
    } catch (err) {
      // Only a bug gets here; end cleanly rather than leave a rejection nobody awaits.
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`unexpected failure: ${message}`);
      this.finish({ reason: "failed", message });
    } finally {
      registered();
    }
  }

  private async register(kubelet: KubeletEndpoint | undefined): Promise<Registration | undefined> {
    const backoff = this.opts.registerBackoff ?? REGISTER_BACKOFF;
    const input = { nodeId: this.opts.nodeId, agentVersion: this.opts.agentVersion ?? AGENT_VERSION, ...(kubelet ? { kubelet } : {}) };
    let attempt = 0;
    let outage = false;
    while (!this.abort.signal.aborted) {
      try {
        const res = await this.call(this.opts.requestTimeoutMs ?? REGISTER_TIMEOUT_MS, (signal) =>
          this.client.call("agent.register", input, signal),
        );
        if (outage) this.log.info(`API reachable again after ${attempt} failed registration attempts`);
        return res;
      } catch (err) {
        if (this.abort.signal.aborted) return undefined;
        if (this.rejectIfFatal(err, "registration")) return undefined;
        const delay = backoffDelay(attempt++, backoff);
        if (!outage) {
          outage = true;
          this.log.warn(`cannot register (${describeError(err)}); retrying with backoff up to ${backoff.maxMs} ms`);
        } else {
          this.log.debug(`registration attempt ${attempt} failed (${describeError(err)}); next in ${delay} ms`);
        }
        await this.sleep(delay);
      }
    }
    return undefined;
  }

  private async heartbeatLoop(): Promise<void> {
    let failures = 0;
    let immediateStreak = 0;
    while (!this.abort.signal.aborted) {
      const beganAt = performance.now();
      try {
        this.kubelet.takeSyncRequest();
        const podIds = this.kubelet.podIds();
        const podEvents = this.kubelet.takePodEvents();
        const netpol = this.kubelet.netpolReport();
        const podStatuses = this.kubelet.takeStatusChanges();
        // Optional parts go only when they say something: every byte is parsed and validated by the API on every beat.
        const input = {
          nodeId: this.opts.nodeId,
          podIds,
          ...this.sampleUsage(podIds),
          components: this.components,
          ...(podStatuses.length > 0 ? { podStatuses } : {}),
          ...(podEvents.length > 0 ? { podEvents } : {}),
          netpol,
        };
        const res = await this.call(this.heartbeatTimeoutMs(), (signal) =>
          this.client.call("agent.heartbeat", input, signal),
        );
        if (this.abort.signal.aborted) return;
        // The API names every API process of the cluster: if this one goes, the next beat goes to another.
        if (res.apiUrls) this.client.learn(res.apiUrls);
        this.kubelet.ackStatusChanges();
        this.kubelet.ackPodEvents();
        this.reportedPods = podKey(podIds);
        this.reportedNetpol = JSON.stringify(netpol);
        if (failures > 0) {
          this.log.info(`API reachable again after ${failures} failed heartbeats`);
          failures = 0;
        }
        this.setInterval(res.heartbeatIntervalMs);
        this.kubelet.applySettings(res.kubelet);
        const changes = this.kubelet.sync(res);
        this.logChanges(changes);
        // Confirm a change at once so the API does not wait a whole interval to see it.
        const changed = changes.started.length + changes.stopped.length + changes.stopping.length > 0 || this.unreported();
        if (changed && immediateStreak < MAX_IMMEDIATE_BEATS) {
          immediateStreak++;
          continue;
        }
        immediateStreak = 0;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (this.rejectIfFatal(err, "heartbeat")) return;
        if (failures++ === 0) {
          this.log.warn(`heartbeat failed (${describeError(err)}); retrying every ${this.intervalMs} ms`);
        } else {
          this.log.debug(`heartbeat failed again (${describeError(err)})`);
        }
        immediateStreak = 0;
      }
      // Measured from the start of the beat so a slow API does not stretch the cadence.
      await this.sleep(Math.max(0, Math.min(this.intervalMs, MIN_BEAT_GAP_MS) - (performance.now() - beganAt)));
      await this.sleepUntilChange(Math.max(0, this.intervalMs - (performance.now() - beganAt)));
    }
  }

  private logChanges({ started, stopped, stopping }: SyncChanges): void {
    for (const id of stopped) this.log.info(`pod stopped ${id}`);
    for (const id of stopping) this.log.info(`pod stopping ${id}`);
    for (const id of started) {
      const name = this.kubelet.podName(id);
      this.log.info(name === undefined ? `pod started ${id}` : `pod started ${id} (${name})`);
    }
  }

  /**
   * Whether the kubelet has news the API has not heard: a status change, an event, a pod that finished stopping, or
   * NetworkPolicies now in force.
   */
  private unreported(): boolean {
    const k = this.kubelet;
    return (
      k.syncRequested ||
      k.hasStatusChanges ||
      k.hasPodEvents ||
      podKey(k.podIds()) !== this.reportedPods ||
      JSON.stringify(k.netpolReport()) !== this.reportedNetpol
    );
  }

  /** Like sleep, but ends early once the kubelet has something to report. */
  private async sleepUntilChange(ms: number): Promise<void> {
    if (this.unreported()) return;
    const wake = new AbortController();
    const off = this.kubelet.onChange(() => {
      if (this.unreported()) wake.abort();
    });
    await this.sleep(ms, wake.signal);
    off();
  }

  /** Stops every container and the kubelet server, once. */
  private stopPods(): Promise<void> {
    this.podsStopped ??= this.kubelet.shutdown(this.opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS).catch((err: unknown) => {
      this.log.warn(`could not stop every container cleanly: ${describeError(err)}`);
    });
    return this.podsStopped;
  }

  /** SIGKILLs every container at once: for a process about to exit without waiting. */
  killContainersNow(): void {
    this.kubelet.killAllNow();
  }

  private rejectIfFatal(err: unknown, during: string): boolean {
    const code = errorCode(err);
    if (code === undefined || !FATAL_CODES.has(code)) return false;
    const message = err instanceof Error ? err.message : String(err);
    this.log.error(`${during} rejected by the API (${code}: ${message}); the node was removed or is no longer allowed`);
    this.finish({ reason: "rejected", code, message });
    return true;
  }

  private finish(exit: AgentExit): void {
    if (this.exit) return;
    this.exit = exit;
    this.abort.abort();
    // A rejected or failed agent ends too: its containers must not outlive it.
    void this.stopPods().then(() => {
      this.client.close();
      this.resolveDone(exit);
    });
  }

  private setInterval(ms: number): void {
    if (Number.isFinite(ms) && ms > 0 && ms !== this.intervalMs) {
      if (this.reg) this.log.debug(`heartbeat interval is now ${ms} ms`);
      this.intervalMs = ms;
    }
  }

  private heartbeatTimeoutMs(): number {
    return this.opts.requestTimeoutMs ?? Math.min(10_000, Math.max(1_000, 2 * this.intervalMs));
  }

  /** One API call that gives up after `timeoutMs` and, if `stoppable`, when the agent stops. */
  private async call<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>, stoppable = true): Promise<T> {
    try {
      const answer = await callWithTimeout(timeoutMs, stoppable ? this.abort.signal : undefined, fn);
      this.answeredAt = Date.now();
      return answer;
    } catch (err) {
      if (err instanceof ApiError) this.answeredAt = Date.now();
      throw err;
    }
  }

  /** Waits `ms`, or less if the agent is stopped (or `wake` fires) meanwhile. */
  private sleep(ms: number, wake?: AbortSignal): Promise<void> {
    return sleepUnless(ms, this.abort.signal, wake);
  }
}

function podKey(ids: string[]): string {
  return [...ids].sort().join(",");
}
