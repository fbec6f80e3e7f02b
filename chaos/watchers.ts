/**
 * Event watchers: `events.watch` over SSE on a replica, resumed with the last id seen after any break
 * (on the home replica when it is up, else on the other), as a client of several replicas would. Each
 * keeps every id it got, in arrival order; the checkers compare them with the event table.
 */
import type { Replica } from "./cluster.js";
import { sleep } from "./lib.js";

export class EventWatcher {
  /** Every event id received, in arrival order. */
  readonly ids: number[] = [];
  reconnects = 0;
  private last = 0;
  private readonly ac = new AbortController();
  private done: Promise<void> | undefined;
  /** Told at once of an id that is not above the last one (a duplicate or out of order). */
  onDisorder: (detail: string) => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly replicas: Replica[],
    private readonly home: number,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  /** The highest id seen. */
  get lastId(): number {
    return this.last;
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.done;
  }

  private pickReplica(): Replica | undefined {
    const order = [this.replicas[this.home]!, ...this.replicas.filter((_, i) => i !== this.home)];
    return order.find((r) => !r.down);
  }

  private async loop(): Promise<void> {
    let first = true;
    while (!this.ac.signal.aborted) {
      const replica = this.pickReplica();
      if (!replica) {
        await sleep(200, this.ac.signal);
        continue;
      }
      if (!first) this.reconnects++;
      first = false;
      try {
        await this.follow(replica);
      } catch {
        // A dead replica or a cut stream: resume below.
      }
      await sleep(250, this.ac.signal);
    }
  }

  /** Reads one SSE stream until it ends; every tracked message's id is recorded. */
  private async follow(replica: Replica): Promise<void> {
    const input = encodeURIComponent(JSON.stringify({ lastEventId: String(this.last) }));
    const res = await fetch(`${replica.url}/trpc/events.watch?input=${input}`, {
      headers: { authorization: `Bearer ${replica.token}`, accept: "text/event-stream" },
      signal: this.ac.signal,
    });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status}`);
    }
    const decoder = new TextDecoder();
    let buf = "";
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          this.message(block, replica.name);
        }
      }
    } finally {
      reader.releaseLock();
      await res.body.cancel().catch(() => undefined);
    }
  }

  private message(block: string, via: string): void {
    let id: string | undefined;
    let event: string | undefined;
    for (const line of block.split("\n")) {
      if (line.startsWith("id:")) id = line.slice(3).trim();
      else if (line.startsWith("event:")) event = line.slice(6).trim();
    }
    if (event === "return") throw new Error("the server ended the watch");
    if (event === "serialized-error") throw new Error("the watch failed");
    if (id === undefined || event !== undefined || !/^\d+$/.test(id)) return;
    const n = Number(id);
    if (n <= this.last) this.onDisorder(`${this.name} got event ${n} after ${this.last} (via replica ${via})`);
    else this.last = n;
    this.ids.push(n);
  }
}
