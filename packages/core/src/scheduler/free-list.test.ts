import { describe, expect, it } from "vitest";
import { FreeList } from "./free-list.js";

interface Item {
  id: string;
  freeCpu: number;
  freeMem: number;
}
const item = (id: string, freeCpu: number, freeMem: number): Item => ({ id, freeCpu, freeMem });
const byId = (a: Item, b: Item) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// Nine items over blocks of 2-4 (load 2), so every walk crosses block boundaries.
// Sorted: a(1000,100) b(1000,900) c(2000,50) d(2000,500) e(2000,500) f(3000,10) g(3000,20) h(3000,800) i(4000,30)
const ITEMS = [
  item("h", 3000, 800),
  item("a", 1000, 100),
  item("e", 2000, 500),
  item("i", 4000, 30),
  item("c", 2000, 50),
  item("g", 3000, 20),
  item("b", 1000, 900),
  item("f", 3000, 10),
  item("d", 2000, 500),
];
function list(): FreeList<Item> {
  const l = new FreeList<Item>(byId, 2);
  for (const x of ITEMS) l.insert(x);
  return l;
}

describe("FreeList", () => {
  it("keeps (freeCpu, freeMem, tie-break) order across block splits", () => {
    expect(list().toArray().map((x) => x.id)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i"]);
  });

  const cases: { name: string; cpu: number; mem: number; skip?: string[]; asc: string | undefined; desc: string | undefined; count: number }[] = [
    // asc: first with cpu>=1000, mem>=100 is a(1000,100); desc: i has 4000 but 30<100, group 3000 from mem>=100 is h
    { name: "small request", cpu: 1000, mem: 100, asc: "a", desc: "h", count: 5 /* a b d e h */ },
    // cpu>=2000 and mem>=500: d, e (2000,500), h (3000,800); desc: i fails memory, group 3000 -> h
    { name: "mid request", cpu: 2000, mem: 500, asc: "d", desc: "h", count: 3 },
    // d equals e on (2000,500): tie-break by id gives d; skipping d moves to e in both orders' 2000 group
    { name: "tie broken by id, then next", cpu: 2000, mem: 500, skip: ["d", "h"], asc: "e", desc: "e", count: 1 },
    // mem>=900 only b (1000,900), but cpu>=2000 rules it out
    { name: "nothing fits", cpu: 2000, mem: 900, asc: undefined, desc: undefined, count: 0 },
    // cpu 0 and mem 0: everything fits; asc a, desc top group 4000 -> i
    { name: "zero request", cpu: 0, mem: 0, asc: "a", desc: "i", count: 9 },
    // within the 3000 group ascending memory: f(10) then g(20); skipping f gives g
    { name: "desc walks a group in memory order", cpu: 3000, mem: 0, skip: ["i", "f"], asc: "g", desc: "g", count: 2 /* g h after skips: f,i rejected */ },
  ];
  it.each(cases)("$name", ({ cpu, mem, skip = [], asc, desc, count }) => {
    const l = list();
    const accept = (x: Item) => !skip.includes(x.id);
    expect(l.findAscending(cpu, mem, accept)?.id).toBe(asc);
    expect(l.findCpuDescending(cpu, mem, accept)?.id).toBe(desc);
    expect(l.countFit(cpu, mem, skip.length ? accept : null)).toBe(count);
  });

  it("removes by current key and ignores items it does not hold", () => {
    const l = list();
    const h = ITEMS[0]!;
    expect(l.remove(h)).toBe(true);
    expect(l.remove(h)).toBe(false);
    // With h (3000,800) gone, 2000/500 descending finds d in the 2000 group.
    expect(l.findCpuDescending(2000, 500, () => true)?.id).toBe("d");
    expect(l.length).toBe(8);
    for (const x of ITEMS.slice(1)) expect(l.remove(x)).toBe(true);
    expect(l.length).toBe(0);
    expect(l.findAscending(0, 0, () => true)).toBeUndefined();
    expect(l.findCpuDescending(0, 0, () => true)).toBeUndefined();
  });

  it("rejects a nonsensical block size", () => {
    expect(() => new FreeList<Item>(byId, 0)).toThrow("block load must be a positive integer, got 0");
  });
});
