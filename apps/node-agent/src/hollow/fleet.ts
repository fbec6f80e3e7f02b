import { DEFAULT_HOLLOW_USAGE, HollowNode, type HollowUsageOptions, type Labels, type RouterOutputs } from "@kube9/client";
import { AgentCallError, AgentHttp } from "./agent-http.js";
import { LatencyHistogram } from "./latency.js";

/** How a `kube9 hollow` fleet runs. */
export interface HollowFleetOptions {
  /** The API's URL (plain HTTP). */
  url: string;
  /** The admin token: joining nodes is an admin's act; each node then speaks with its own credential. */
  adminToken: string;
  nodes: number;
  /** Cores per node. */
  cpu: number;
  /** Memory per node (default: 4 GiB per core, as `node add`). */
  memoryMiB?: number;
  /** Nodes are named `<prefix>-<n>`, n from 0. */
  namePrefix?: string;
  labels?: Labels;
  /** How the nodes make up their pods' use. */
  usage?: HollowUsageOptions;
  /** Send the nodes' beats in batches (agent.heartbeatBatch) rather than one request per beat. Default true. */
  batch?: boolean;
  /** Beats per batch (at most 1000). */
  batchSize?: number;
  /** Kept-alive connections to the API (and requests in flight at most; registrations use up to 512). */
  connections?: number;
  /** Progress lines (joining, registering). */
  log?: (line: string) => void;
}

/** What a fleet has done so far. */
export interface FleetStats {
  nodes: number;
  registered: number;
  /** Nodes the API no longer accepts (removed, credential replaced); they stopped beating. */
  gone: number;
  beatsOk: number;
  beatsFailed: number;
  /** Latency of accepted beats since the last window() (ms; a batched beat waits as long as its request). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windowBeats: number;
}

interface FleetNode {
  name: string;
  nodeId: string;
  token: string;
  sim: HollowNode;
  /** When its next beat is due (epoch ms); Infinity while one is in flight or before registration. */
  due: number;
  /** When the beat in flight was due: the next one is due an interval after it, not after the answer. */
  dueWas: number;
  gone: boolean;
}

type BeatAnswer = RouterOutputs["agent"]["heartbeat"];

/** The scheduler's resolution: beats due within a tick go out together. */
const TICK_MS = 20;
/** Names joined per nodes.join call (the API takes up to 1,000, in one statement). */
const JOIN_CHUNK = 1000;
/** Registrations and leaves in flight at once (one request per node): each mostly waits for its event to be written, so many may wait together. */
const PER_NODE_PARALLELISM = 512;
/** Batched registrations in flight at once: each is one statement for up to a batch of nodes. */
const REGISTER_BATCHES_IN_FLIGHT = 4;
/** Codes after which a node must stop: it was removed, or someone else holds its credential now. */
const GONE_CODES = new Set(["NOT_FOUND", "PRECONDITION_FAILED", "UNAUTHORIZED", "FORBIDDEN"]);

/**
 * Many hollow nodes in one process, each speaking the real agent protocol over HTTP (join, register,
 * heartbeats with pod ids and container states, leave), like KWOK: core's HollowNode simulates each
 * kubelet, and one scheduler sends every due beat (batched with each node's own credential, or one
 * request per beat) over a small pool of kept-alive connections.
 */
export class HollowFleet {
  private readonly http: AgentHttp;
  private readonly nodes: FleetNode[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly latency = new LatencyHistogram();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private registered = 0;
  private beatsOk = 0;
  private beatsFailed = 0;
  private readonly batchSize: number;
  private readonly connections: number;

  constructor(private readonly opts: HollowFleetOptions) {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error(`--nodes must be a whole number >= 1, got ${opts.nodes}`);
    this.batchSize = opts.batchSize ?? 250;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 1000) {
      throw new Error(`--batch-size must be a whole number from 1 to 1000, got ${this.batchSize}`);
    }
    this.connections = opts.connections ?? 32;
    // Registration and leave are one request per node: they get more connections than the beats need.
    this.http = new AgentHttp(opts.url, Math.max(this.connections, PER_NODE_PARALLELISM));
  }

  /** Joins the nodes, registers each with its own credential, and starts beating; resolves once all registered. */
  async start(): Promise<void> {
    const log = this.opts.log ?? (() => undefined);
    const prefix = this.opts.namePrefix ?? "hollow";
    const usage = this.opts.usage ?? DEFAULT_HOLLOW_USAGE;
    const began = performance.now();
    for (let from = 0; from < this.opts.nodes && !this.stopped; from += JOIN_CHUNK) {
      const names = Array.from({ length: Math.min(JOIN_CHUNK, this.opts.nodes - from) }, (_, i) => `${prefix}-${from + i}`);
      const { nodes } = await this.http.mutate(
        "nodes.join",
        {
          nodes: names.map((name) => ({
            name,
            cpu: this.opts.cpu,
            ...(this.opts.memoryMiB !== undefined ? { memoryMiB: this.opts.memoryMiB } : {}),
            ...(this.opts.labels ? { labels: this.opts.labels } : {}),
          })),
        },
        this.opts.adminToken,
      );
      for (const n of nodes) this.nodes.push({ name: n.name, nodeId: n.nodeId, token: n.token, sim: new HollowNode(usage), due: Infinity, dueWas: 0, gone: false });
      log(`joined ${this.nodes.length}/${this.opts.nodes} nodes (${secondsSince(began)} s)`);
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    if (this.opts.batch === false) await this.eachLimited(this.nodes, PER_NODE_PARALLELISM, (n) => this.register(n));
    else {
      const chunks: FleetNode[][] = [];
      for (let i = 0; i < this.nodes.length; i += this.batchSize) chunks.push(this.nodes.slice(i, i + this.batchSize));
      await this.eachLimited(chunks, REGISTER_BATCHES_IN_FLIGHT, (chunk) => this.registerBatch(chunk));
    }
    log(`registered ${this.registered}/${this.opts.nodes} nodes (${secondsSince(began)} s)`);
  }

  /** The fleet's figures; window() also starts a new latency window. */
  stats(): FleetStats {
    return {
      nodes: this.nodes.length,
      registered: this.registered,
      gone: this.nodes.filter((n) => n.gone).length,
      beatsOk: this.beatsOk,
      beatsFailed: this.beatsFailed,
      p50Ms: this.latency.quantile(0.5),
      p99Ms: this.latency.quantile(0.99),
      maxMs: this.latency.quantile(1),
      windowBeats: this.latency.count,
    };
  }

  /** The figures so far, then a fresh latency window. */
  window(): FleetStats {
    const s = this.stats();
    this.latency.reset();
    return s;
  }

  /** Stops beating and has every node leave (its pods move at once); the connections close. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    const leaving = this.nodes.filter((n) => !n.gone);
    await this.eachLimited(leaving, PER_NODE_PARALLELISM, (n) =>
      this.http.mutate("agent.leave", { nodeId: n.nodeId, reason: "hollow fleet stopped" }, n.token).then(
        () => undefined,
        () => undefined,
      ),
    );
    this.opts.log?.(`${leaving.length} nodes left`);
    this.http.close();
  }

  private async register(n: FleetNode): Promise<void> {
    while (!this.stopped) {
      try {
        this.registeredAs(n, await this.http.mutate("agent.register", { nodeId: n.nodeId, agentVersion: "hollow-fleet" }, n.token));
        return;
      } catch (err) {
        if (err instanceof AgentCallError && GONE_CODES.has(err.code)) return void (n.gone = true);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Registers a chunk of nodes in one call (agent.registerBatch, each with its own credential); refused ones are retried alone. */
  private async registerBatch(chunk: FleetNode[]): Promise<void> {
    let results: RouterOutputs["agent"]["registerBatch"]["results"];
    try {
      ({ results } = await this.http.mutate("agent.registerBatch", { nodes: chunk.map((n) => ({ nodeId: n.nodeId, token: n.token })) }, chunk[0]!.token));
    } catch {
      // An API without batches, or one that failed this call: each node registers on its own, with retries.
      await this.eachLimited(chunk, PER_NODE_PARALLELISM, (n) => this.register(n));
      return;
    }
    const byId = new Map(chunk.map((n) => [n.nodeId, n]));
    const retry: FleetNode[] = [];
    for (const r of results) {
      const n = byId.get(r.nodeId);
      if (!n) continue;
      if ("answer" in r) this.registeredAs(n, r.answer);
      else if (GONE_CODES.has(r.error.code)) n.gone = true;
      else retry.push(n);
    }
    await this.eachLimited(retry, PER_NODE_PARALLELISM, (n) => this.register(n));
  }

  private registeredAs(n: FleetNode, reg: { role: Parameters<HollowNode["registered"]>[0]; heartbeatIntervalMs: number }): void {
    n.sim.registered(reg.role, reg.heartbeatIntervalMs);
    // First beats spread over one interval, so 10,000 nodes do not beat in the same tick forever.
    n.due = Date.now() + Math.random() * reg.heartbeatIntervalMs;
    this.registered++;
  }

  /** Sends every due beat, as many requests as free connections allow; the rest wait for the next tick. */
  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    const due: FleetNode[] = [];
    for (const n of this.nodes) if (n.due <= now && !n.gone) due.push(n);
    if (this.opts.batch === false) {
      for (const n of due) {
        if (this.inFlight.size >= this.connections) break;
        this.track(this.beatOne(n));
      }
      return;
    }
    for (let i = 0; i < due.length && this.inFlight.size < this.connections; i += this.batchSize) {
      this.track(this.beatBatch(due.slice(i, i + this.batchSize)));
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async beatOne(n: FleetNode): Promise<void> {
    n.dueWas = n.due;
    n.due = Infinity;
    const { report, sent } = n.sim.report(Date.now());
    const t0 = performance.now();
    try {
      const answer = await this.http.mutate("agent.heartbeat", { nodeId: n.nodeId, ...report }, n.token);
      this.latency.add(performance.now() - t0);
      this.answered(n, sent, answer);
    } catch (err) {
      this.refused(n, err instanceof AgentCallError ? err.code : "NETWORK");
    }
  }

  private async beatBatch(batch: FleetNode[]): Promise<void> {
    const now = Date.now();
    const sentBy = new Map<string, ReturnType<HollowNode["report"]>["sent"]>();
    const beats = batch.map((n) => {
      n.dueWas = n.due;
      n.due = Infinity;
      const { report, sent } = n.sim.report(now);
      sentBy.set(n.nodeId, sent);
      return { nodeId: n.nodeId, token: n.token, report };
    });
    const t0 = performance.now();
    let results: RouterOutputs["agent"]["heartbeatBatch"]["results"];
    try {
      ({ results } = await this.http.mutate("agent.heartbeatBatch", { beats }, batch[0]!.token));
    } catch (err) {
      const code = err instanceof AgentCallError ? err.code : "NETWORK";
      if (code !== "UNAUTHORIZED") for (const n of batch) this.refused(n, code);
      else {
        // Only the caller's credential (the first node's) was refused: the others try again without it.
        this.refused(batch[0]!, code);
        for (const n of batch.slice(1)) n.due = Date.now();
      }
      return;
    }
    const ms = performance.now() - t0;
    const byId = new Map(batch.map((n) => [n.nodeId, n]));
    let ok = 0;
    for (const r of results) {
      const n = byId.get(r.nodeId);
      if (!n) continue;
      if ("answer" in r) {
        ok++;
        this.answered(n, sentBy.get(n.nodeId)!, r.answer);
      } else this.refused(n, r.error.code);
    }
    this.latency.add(ms, ok);
  }

  private answered(n: FleetNode, sent: ReturnType<HollowNode["report"]>["sent"], answer: BeatAnswer): void {
    this.beatsOk++;
    const changed = n.sim.accepted(sent, answer, Date.now());
    // Confirm a changed pod set at once, as a real agent does; otherwise keep the beat's rhythm.
    const now = Date.now();
    n.due = changed ? now : Math.max(now, n.dueWas + n.sim.intervalMs);
  }

  private refused(n: FleetNode, code: string): void {
    this.beatsFailed++;
    if (GONE_CODES.has(code)) {
      if (!n.gone) this.opts.log?.(`node ${n.name} stopped: the API answered ${code}`);
      n.gone = true;
      return;
    }
    n.due = Date.now() + n.sim.intervalMs;
  }

  /** Runs fn over items with at most `limit` at once. */
  private async eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  }
}

function secondsSince(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(1);
}
