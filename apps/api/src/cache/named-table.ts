/** Objects by id with a name index, listed in their `seq` order (registration or creation). */
export class NamedTable<T extends { id: string; name: string; seq: number }> {
  private readonly byId = new Map<string, T>();
  private readonly idByName = new Map<string, string>();
  private ordered: T[] | null = null;

  /** `keyOf` gives the unique name (pods: "namespace/name"). */
  constructor(private readonly keyOf: (o: T) => string = (o) => o.name) {}

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** By the key `keyOf` gives. */
  byName(key: string): T | undefined {
    const id = this.idByName.get(key);
    return id === undefined ? undefined : this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Every object, by seq (the list is kept until something changes). */
  all(): T[] {
    this.ordered ??= [...this.byId.values()].sort(bySeq);
    return this.ordered;
  }

  /** The objects with these ids that exist, by seq. */
  pick(ids: Iterable<string>): T[] {
    const out: T[] = [];
    for (const id of ids) {
      const o = this.byId.get(id);
      if (o) out.push(o);
    }
    return out.sort(bySeq);
  }

  /** Stores an object (a renamed one loses its old name); returns the version it replaced. */
  set(o: T): T | undefined {
    const old = this.byId.get(o.id);
    if (old && this.keyOf(old) !== this.keyOf(o) && this.idByName.get(this.keyOf(old)) === o.id) this.idByName.delete(this.keyOf(old));
    this.byId.set(o.id, o);
    this.idByName.set(this.keyOf(o), o.id);
    // A changed object keeps its seq: it takes its old place in the sorted list (a heartbeat's report, a
    // resync's row), and a newer one goes last, so a list of 10,000 is not sorted again on every change.
    if (this.ordered) {
      const last = this.ordered[this.ordered.length - 1];
      if (old && old.seq === o.seq) {
        const at = indexOfSeq(this.ordered, o.id, o.seq);
        if (at >= 0) this.ordered[at] = o;
        else this.ordered = null;
      } else if (!old && (last === undefined || last.seq < o.seq)) this.ordered.push(o);
      else this.ordered = null;
    }
    return old;
  }

  /** Removes an object; returns it, if it was there. */
  delete(id: string): T | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    this.byId.delete(id);
    if (this.idByName.get(this.keyOf(old)) === id) this.idByName.delete(this.keyOf(old));
    this.ordered = null;
    return old;
  }

  clear(): void {
    this.byId.clear();
    this.idByName.clear();
    this.ordered = null;
  }
}

/** The position of the object `id` (whose seq is `seq`) in a list sorted by seq, or -1. */
function indexOfSeq(list: ReadonlyArray<{ id: string; seq: number }>, id: string, seq: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = list[mid]!.seq;
    if (at < seq) lo = mid + 1;
    else if (at > seq) hi = mid - 1;
    else {
      // Seqs are unique in the database, but nothing here relies on it: look among the equal ones.
      for (let i = mid; i >= 0 && list[i]!.seq === seq; i--) if (list[i]!.id === id) return i;
      for (let i = mid + 1; i < list.length && list[i]!.seq === seq; i++) if (list[i]!.id === id) return i;
      return -1;
    }
  }
  return -1;
}

function bySeq(a: { seq: number }, b: { seq: number }): number {
  return a.seq - b.seq;
}
