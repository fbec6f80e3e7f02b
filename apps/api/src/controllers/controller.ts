import type { ClusterCache } from "../cache/cluster-cache.js";
import type { EventRecorder } from "../event-recorder.js";
import type { Logger } from "../logger.js";

/**
 * A controller owns one concern of the control plane and runs while started. The wiring in
 * control-plane.ts starts each one either always or only while this process leads.
 */
export interface Controller {
  readonly name: string;
  start(): void;
  /** Stops the loop and waits for a pass in flight. */
  stop(): Promise<void>;
}

/**
 * A control loop: runs `pass` every `intervalMs` while started, and soon after trigger(). Passes never
 * overlap; a trigger during a pass asks for one more right after it. stop() waits for the pass in flight.
 */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  /** Set by stop(): a pass asked for during the last one is not run then. */
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  get isStarted(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.timer = setInterval(() => this.trigger(), this.intervalMs);
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
    await this.running;
  }

  /** Asks for a pass soon; ignored while stopped. */
  trigger(): void {
    if (!this.started) return;
    void this.runOnce();
  }

  /** Runs a pass now, or joins the one in flight and asks for another after it. */
  runOnce(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.log.error(`${this.name} pass failed`, { err: String(err) });
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}

/** What every controller reads and records with. */
export interface ControllerContext {
  cache: ClusterCache;
  events: EventRecorder;
  now: () => number;
  log: Logger;
}

/** A controller that is one Loop: subclasses give the pass; start, stop and tick come from here. */
export abstract class LoopController implements Controller {
  private readonly loop: Loop;

  constructor(
    readonly name: string,
    intervalMs: number,
    log: Logger,
  ) {
    this.loop = new Loop(name, intervalMs, () => this.pass(), log);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass now, or joins the one in flight (tests drive the clock and call this). */
  tick(): Promise<void> {
    return this.loop.runOnce();
  }

  /** Asks for a pass soon; ignored while stopped. */
  protected trigger(): void {
    this.loop.trigger();
  }

  protected abstract pass(): Promise<void>;
}

/** Nodes a pass over every node may visit at its base interval; beyond, the interval grows in proportion. */
const NODES_AT_BASE_INTERVAL = 2500;

/**
 * The interval of a pass that visits every node: `baseMs` up to 2,500 nodes, then longer in proportion
 * (at most `maxMs`), so such a pass costs a large cluster about what it costs 2,500 nodes each second;
 * Kubernetes' node lifecycle controller looks at nodes every 5 s at any size.
 */
export function scaledIntervalMs(baseMs: number, nodes: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(baseMs, Math.round((baseMs * nodes) / NODES_AT_BASE_INTERVAL)));
}

/** Whether a pass that visits every node is due: always at its base interval; else once `intervalMs` passed since the last one. */
export class ScaledPasses {
  private lastAt = -Infinity;

  constructor(private readonly baseMs: number) {}

  due(now: number, intervalMs: number): boolean {
    if (intervalMs > this.baseMs && now - this.lastAt < intervalMs) return false;
    this.lastAt = now;
    return true;
  }
}

