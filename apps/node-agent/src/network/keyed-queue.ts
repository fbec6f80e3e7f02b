// Calls that must not overlap for one key (one pod's namespace being made, its rules being replaced), while calls
// for other keys run side by side.

/** Runs the calls for one key one at a time, in call order; a failed call does not stop the next. */
export class KeyedQueue {
  private readonly pending = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier call for `key` has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.pending.get(key) ?? Promise.resolve();
    const next = before.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.pending.set(key, settled);
    void settled.then(() => {
      if (this.pending.get(key) === settled) this.pending.delete(key);
    });
    return next;
  }
}
