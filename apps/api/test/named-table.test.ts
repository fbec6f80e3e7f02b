import { describe, expect, it } from "vitest";
import { NamedTable } from "../src/cache/named-table.js";

// The cache's tables keep their seq-ordered list across changes (an update takes its old place, a newer
// object goes last): whatever the sequence of changes, all() must be what sorting afresh gives.

interface Row {
  id: string;
  name: string;
  seq: number;
  v: number;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("NamedTable.all() after changes", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("equals a fresh sort after 2,000 random puts, updates, renames and deletes (seed %i)", (seed) => {
    const next = rng(seed);
    const table = new NamedTable<Row>();
    const live = new Map<string, Row>();
    let seq = 0;
    for (let step = 0; step < 2000; step++) {
      const r = next();
      const ids = [...live.keys()];
      const pick = ids[Math.floor(next() * ids.length)];
      if (r < 0.3 || !pick) {
        // New objects mostly come with the next seq, sometimes an older one (a row another process made earlier).
        const s = next() < 0.8 ? ++seq : Math.floor(next() * seq);
        const row = { id: `id-${step}`, name: `n-${step}`, seq: s, v: 0 };
        live.set(row.id, row);
        table.set(row);
      } else if (r < 0.8) {
        const old = live.get(pick)!;
        // An update keeps the seq; now and then the name changes too.
        const row = { ...old, v: old.v + 1, name: next() < 0.1 ? `${old.name}-r` : old.name };
        live.set(pick, row);
        table.set(row);
      } else {
        live.delete(pick);
        table.delete(pick);
      }
      if (step % 7 === 0 || r > 0.95) {
        const want = [...live.values()].sort((a, b) => a.seq - b.seq || 0);
        const got = table.all();
        // Equal seqs may come in either order; compare the seqs and the latest version of each object.
        expect(got.map((o) => o.seq)).toEqual(want.map((o) => o.seq));
        expect(new Set(got)).toEqual(new Set(want));
      }
    }
  });

  it("an update replaces the object in the list a caller already holds, in its place", () => {
    const table = new NamedTable<Row>();
    for (let i = 1; i <= 5; i++) table.set({ id: `id-${i}`, name: `n-${i}`, seq: i, v: 0 });
    const list = table.all();
    table.set({ id: "id-3", name: "n-3", seq: 3, v: 1 });
    expect(table.all()).toBe(list);
    expect(list.map((o) => o.v)).toEqual([0, 0, 1, 0, 0]);
    table.set({ id: "id-6", name: "n-6", seq: 6, v: 0 });
    expect(table.all().map((o) => o.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
