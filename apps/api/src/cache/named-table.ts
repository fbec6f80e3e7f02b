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
    this.ordered = null;
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

function bySeq(a: { seq: number }, b: { seq: number }): number {
  return a.seq - b.seq;
}
