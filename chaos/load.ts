/**
 * The load: pod launches and deletes through both replicas (the typed client), a few in flight at a
 * time, keeping about `target` pods alive. Some pods ask for the process nodes (nodeSelector), where
 * room is short, so binds race for the last slots; the rest go to the hollow fleet.
 */
import { errorCode, TRPCClientError } from "@kube9/client";
import type { Replica } from "./cluster.js";
import { type Rng, sleep } from "./lib.js";

export interface LoadStats {
  launches: number;
  launchesOk: number;
  deletes: number;
  deletesOk: number;
  /** Failed calls by "operation: code" (network errors as "unreachable"). */
  failures: Map<string, number>;
  /** One example message per failure kind. */
  examples: Map<string, string>;
}

/** A failed call's kind: the tRPC code, the HTTP status, or "unreachable" (no answer). */
export function failureKind(err: unknown): { code: string; message: string } {
  if (err instanceof TRPCClientError) {
    const code = errorCode(err);
    const status = (err.data as { httpStatus?: number } | undefined)?.httpStatus;
    if (code) return { code: `${code}${status ? ` (${status})` : ""}`, message: err.message };
    return { code: "unreachable", message: err.message };
  }
  return { code: "unreachable", message: err instanceof Error ? err.message : String(err) };
}

export class Load {
  readonly stats: LoadStats = { launches: 0, launchesOk: 0, deletes: 0, deletesOk: 0, failures: new Map(), examples: new Map() };
  /** Names we launched that may exist (the checkers read the truth from the database). */
  private readonly live: string[] = [];
  private seq = 0;
  private readonly ac = new AbortController();
  private workers: Promise<void>[] = [];
  /** Pods whose launch was acknowledged and that we never asked to delete: each must exist at the end. */
  readonly acknowledged = new Set<string>();
  /** Told when a replica answers NOT_FOUND to deleting a pod whose launch was acknowledged (lost, or a stale replica). */
  onAckedNotFound: (name: string, replica: string, launchedVia: string) => void = () => undefined;
  private readonly launchedVia = new Map<string, string>();

  constructor(
    private readonly replicas: Replica[],
    private readonly rng: Rng,
    private readonly opts: { target: number; inFlight: number; opsPerSecond: number },
  ) {}

  start(): void {
    const perWorkerGapMs = (1000 * this.opts.inFlight) / this.opts.opsPerSecond;
    this.workers = Array.from({ length: this.opts.inFlight }, () => this.worker(perWorkerGapMs));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all(this.workers);
  }

  private fail(op: string, err: unknown): void {
    const { code, message } = failureKind(err);
    const key = `${op}: ${code}`;
    this.stats.failures.set(key, (this.stats.failures.get(key) ?? 0) + 1);
    if (!this.stats.examples.has(key)) this.stats.examples.set(key, message.slice(0, 300));
  }

  /** A replica to send the next call to: either, at random, unless we know one is down. */
  private replica(): Replica {
    const up = this.replicas.filter((r) => !r.down);
    return this.rng.pick(up.length > 0 ? up : this.replicas);
  }

  private async worker(gapMs: number): Promise<void> {
    while (!this.ac.signal.aborted) {
      const launch = this.live.length < this.opts.target ? this.rng.chance(0.75) : this.rng.chance(0.25);
      if (launch || this.live.length === 0) await this.launch();
      else await this.delete();
      await sleep(gapMs * (0.5 + this.rng.next()), this.ac.signal);
    }
  }

  private async launch(): Promise<void> {
    const name = `chaos-${++this.seq}`;
    const onProcessNodes = this.rng.chance(0.3);
    const cpu = onProcessNodes ? this.rng.pick([0.1, 0.25, 0.5]) : this.rng.pick([0.1, 0.25, 0.5, 1]);
    const memoryMiB = this.rng.pick([32, 64, 128]);
    this.stats.launches++;
    try {
      const via = this.replica();
      await via.client.pods.launch.mutate({ name, cpu, memoryMiB, nodeSelector: { chaos: onProcessNodes ? "process" : "hollow" } });
      this.stats.launchesOk++;
      this.acknowledged.add(name);
      this.launchedVia.set(name, via.name);
    } catch (err) {
      this.fail("launch", err);
    } finally {
      // Deletable only once its launch has answered, so an acknowledgement never arrives after our delete.
      // A failed launch may still have committed (no answer): its name stays, and a delete settles it.
      this.live.push(name);
    }
  }

  private async delete(): Promise<void> {
    const i = Math.floor(this.rng.next() * this.live.length);
    const name = this.live[i]!;
    this.live.splice(i, 1);
    this.stats.deletes++;
    const acked = this.acknowledged.delete(name);
    const via = this.replica();
    try {
      await via.client.pods.delete.mutate({ name, ...(this.rng.chance(0.5) ? { gracePeriodSeconds: 0 } : {}) });
      this.stats.deletesOk++;
    } catch (err) {
      if (errorCode(err) === "NOT_FOUND") {
        // The launch never took (it failed or timed out without committing): nothing to delete.
        this.stats.deletesOk++;
        if (acked) this.onAckedNotFound(name, via.name, this.launchedVia.get(name) ?? "?");
        return;
      }
      this.fail("delete", err);
    }
  }
}
