/** Objects by id with a name index, listed in their `seq` order (registration or creation). */
export class NamedTable<T extends { id: string; name: string; seq: number }> {
  private readonly byId = new Map<string, T>();
  private readonly idByName = new Map<string, string>();
  private ordered: T[] | null = null;

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  byName(name: string): T | undefined {
    const id = this.idByName.get(name);
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
    if (old && old.name !== o.name && this.idByName.get(old.name) === o.id) this.idByName.delete(old.name);
    this.byId.set(o.id, o);
    this.idByName.set(o.name, o.id);
    this.ordered = null;
    return old;
  }

  /** Removes an object; returns it, if it was there. */
  delete(id: string): T | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    this.byId.delete(id);
    if (this.idByName.get(old.name) === id) this.idByName.delete(old.name);
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
