import type { CreatePodInput, PodRecord, PodRepository } from "@kube9/db";

/** Pods written in one statement at most (a launchMany call of 1,000 is two statements). */
const BATCH_MAX = 500;
/** Batches written at once: more would only queue on the same node rows and connections. */
const IN_FLIGHT = 2;

type Waiting = { input: CreatePodInput; resolve(pod: PodRecord): void; reject(err: unknown): void };

/**
 * Group commit for pod creation: concurrent launches (and a launchMany's items) share one
 * `createMany` statement, so a burst costs a few commits and node-row locks instead of one each
 * (see docs/architecture.md, "Write paths and their invariants"). A launch waits at most for the
 * batch being written before its own; a lone launch is written at once.
 */
export class PodCreateBatcher {
  private readonly queue: Waiting[] = [];
  private writing = 0;
  private pending = false;

  constructor(private readonly pods: Pick<PodRepository, "create" | "createMany">) {}

  /** Creates one pod as `PodRepository.create` would (same result, same errors), sharing a statement with its neighbours. */
  create(input: CreatePodInput): Promise<PodRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.pending || this.writing >= IN_FLIGHT || this.queue.length === 0) return;
    this.pending = true;
    // After the I/O callbacks of this turn, so requests that arrived together are written together.
    setImmediate(() => {
      this.pending = false;
      void this.write(this.queue.splice(0, BATCH_MAX));
      this.schedule();
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    this.writing++;
    try {
      let made: Awaited<ReturnType<PodRepository["createMany"]>>;
      try {
        made = await this.pods.createMany(batch.map((w) => w.input));
      } catch (err) {
        if (batch.length === 1) throw err;
        // A whole-batch failure (a namespace deleted meanwhile) is one item's: each alone gets its own answer.
        await Promise.all(batch.map((w) => this.pods.create(w.input).then(w.resolve, w.reject)));
        return;
      }
      made.forEach((pod, i) => (pod instanceof Error ? batch[i]!.reject(pod) : batch[i]!.resolve(pod)));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.writing--;
      this.schedule();
    }
  }
}
