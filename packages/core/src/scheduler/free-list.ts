/** What a FreeList orders: free CPU and memory, plus whatever the tie-break needs. */
export interface FreeItem {
  readonly freeCpu: number;
  readonly freeMem: number;
}

/** Default items per block before a split; 2*load is the largest block, so an update shifts at most that many. */
export const DEFAULT_BLOCK_LOAD = 64;

/**
 * Items sorted by (freeCpu, freeMem, tie-break) ascending, kept as a run of small sorted
 * blocks (like Python's sortedcontainers): an update is a binary search plus a shift of at
 * most 2*load items, not of the whole list. Each block also keeps its largest freeMem, so a
 * search skips blocks that cannot hold the pod, and its freeMem values sorted, so counting
 * the nodes with enough memory needs no scan.
 */
export class FreeList<T extends FreeItem> {
  private readonly blocks: T[][] = [];
  private readonly maxMem: number[] = [];
  private readonly mems: number[][] = [];
  private count = 0;
  private readonly load: number;
  /** Encodes a position (block, index) as block * stride + index; index never exceeds 2*load. */
  private readonly stride: number;

  /**
   * An empty list; tieBreak orders items with equal free capacity and must never return 0 for
   * two items. load is the block size (tests use tiny blocks to exercise splits).
   */
  constructor(
    private readonly tieBreak: (a: T, b: T) => number,
    load = DEFAULT_BLOCK_LOAD,
  ) {
    if (!Number.isInteger(load) || load < 1) throw new RangeError(`block load must be a positive integer, got ${load}`);
    this.load = load;
    this.stride = 4 * load;
  }

  /** Number of items. */
  get length(): number {
    return this.count;
  }

  /** Every item in order (for tests and debugging; the hot paths never copy). */
  toArray(): T[] {
    return this.blocks.flat();
  }

  /** Adds an item; it must not already be present. */
  insert(item: T): void {
    this.count++;
    if (this.blocks.length === 0) {
      this.blocks.push([item]);
      this.maxMem.push(item.freeMem);
      this.mems.push([item.freeMem]);
      return;
    }
    // Last block whose first item sorts before the new one (or block 0).
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.compare(this.blocks[mid]![0]!, item) < 0) lo = mid;
      else hi = mid - 1;
    }
    const block = this.blocks[lo]!;
    insertAt(block, this.indexIn(block, item), item);
    if (item.freeMem > this.maxMem[lo]!) this.maxMem[lo] = item.freeMem;
    const mems = this.mems[lo]!;
    insertAt(mems, lowerBoundNum(mems, item.freeMem), item.freeMem);
    if (block.length > 2 * this.load) {
      const tail = block.splice(this.load);
      this.blocks.splice(lo + 1, 0, tail);
      const headMems = sortedMems(block);
      const tailMems = sortedMems(tail);
      this.mems[lo] = headMems;
      this.mems.splice(lo + 1, 0, tailMems);
      this.maxMem[lo] = headMems[headMems.length - 1]!;
      this.maxMem.splice(lo + 1, 0, tailMems[tailMems.length - 1]!);
    }
  }

  /** Removes the item, located by its current freeCpu/freeMem; false if it is not there. */
  remove(item: T): boolean {
    if (this.blocks.length === 0) return false;
    // Last block whose first item is <= the item.
    let b = 0;
    let hi = this.blocks.length - 1;
    while (b < hi) {
      const mid = (b + hi + 1) >>> 1;
      if (this.compare(this.blocks[mid]![0]!, item) <= 0) b = mid;
      else hi = mid - 1;
    }
    const block = this.blocks[b]!;
    const i = this.indexIn(block, item);
    if (block[i] !== item) return false;
    removeAt(block, i);
    this.count--;
    const mems = this.mems[b]!;
    removeAt(mems, lowerBoundNum(mems, item.freeMem));
    if (block.length === 0) {
      this.blocks.splice(b, 1);
      this.maxMem.splice(b, 1);
      this.mems.splice(b, 1);
    } else if (item.freeMem === this.maxMem[b]) {
      // The block's memory column is sorted: its last value is the new largest.
      this.maxMem[b] = mems[mems.length - 1]!;
    }
    return true;
  }

  /** The first item in list order with freeCpu >= cpu and freeMem >= mem that passes accept. */
  findAscending(cpu: number, mem: number, accept: (item: T) => boolean): T | undefined {
    const blocks = this.blocks;
    const start = this.seek(cpu, mem);
    for (let b = Math.floor(start / this.stride); b < blocks.length; b++) {
      if (this.maxMem[b]! < mem) continue;
      const block = blocks[b]!;
      for (let i = b * this.stride < start ? start % this.stride : 0; i < block.length; i++) {
        const item = block[i]!;
        if (item.freeMem >= mem && accept(item)) return item;
      }
    }
    return undefined;
  }

  /**
   * The first item with freeCpu >= cpu and freeMem >= mem that passes accept, in the order
   * freeCpu descending, then list order. The answer's freeCpu is the largest among fitting items,
   * and the list is sorted by freeCpu, so the last fitting item (found walking back, skipping
   * blocks short of memory) names its group; the group is then walked from its first item with
   * enough memory. Trying each group from the top instead cost two binary searches per group,
   * thousands of them when the CPU-rich nodes lacked memory.
   */
  findCpuDescending(cpu: number, mem: number, accept: (item: T) => boolean): T | undefined {
    const blocks = this.blocks;
    let top: number | undefined;
    for (let b = blocks.length - 1; b >= 0 && top === undefined; b--) {
      const block = blocks[b]!;
      // Everything at or before this block's last item has no more CPU than it.
      if (block[block.length - 1]!.freeCpu < cpu) return undefined;
      if (this.maxMem[b]! < mem) continue;
      for (let i = block.length - 1; i >= 0; i--) {
        const item = block[i]!;
        if (item.freeCpu < cpu) return undefined;
        if (item.freeMem >= mem && accept(item)) {
          top = item.freeCpu;
          break;
        }
      }
    }
    if (top === undefined) return undefined;
    // Items of the group from the lower bound on all have enough memory; one of them passes accept.
    const start = this.seek(top, mem);
    for (let b = Math.floor(start / this.stride); b < blocks.length; b++) {
      const block = blocks[b]!;
      for (let i = b * this.stride < start ? start % this.stride : 0; i < block.length; i++) {
        const item = block[i]!;
        if (item.freeCpu !== top) return undefined;
        if (accept(item)) return item;
      }
    }
    return undefined;
  }

  /** How many items have freeCpu >= cpu and freeMem >= mem and pass accept (null = all). */
  countFit(cpu: number, mem: number, accept: ((item: T) => boolean) | null): number {
    const blocks = this.blocks;
    const start = this.seek(cpu, -Infinity);
    let n = 0;
    for (let b = Math.floor(start / this.stride); b < blocks.length; b++) {
      if (this.maxMem[b]! < mem) continue;
      const block = blocks[b]!;
      const from = b * this.stride < start ? start % this.stride : 0;
      if (accept === null && from === 0) {
        const mems = this.mems[b]!;
        n += mems.length - lowerBoundNum(mems, mem);
        continue;
      }
      for (let i = from; i < block.length; i++) {
        const item = block[i]!;
        if (item.freeMem >= mem && (accept === null || accept(item))) n++;
      }
    }
    return n;
  }

  /** How many items have freeCpu < cpu: the rank of the first item with enough CPU. */
  countCpuBelow(cpu: number): number {
    const start = this.seek(cpu, -Infinity);
    const b = Math.floor(start / this.stride);
    let n = start % this.stride;
    for (let i = 0; i < b; i++) n += this.blocks[i]!.length;
    return n;
  }

  /** How many items have freeMem < mem (a binary search in each block's sorted memory column). */
  countMemBelow(mem: number): number {
    let n = 0;
    for (const mems of this.mems) n += lowerBoundNum(mems, mem);
    return n;
  }

  /** Position of the first item whose (freeCpu, freeMem) >= (cpu, mem); blocks.length * this.stride if none. */
  private seek(cpu: number, mem: number): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid]!;
      if (lessThan(block[block.length - 1]!, cpu, mem)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === blocks.length) return lo * this.stride;
    const block = blocks[lo]!;
    let i = 0;
    let h = block.length - 1;
    while (i < h) {
      const mid = (i + h) >>> 1;
      if (lessThan(block[mid]!, cpu, mem)) i = mid + 1;
      else h = mid;
    }
    return lo * this.stride + i;
  }

  private compare(a: T, b: T): number {
    return a.freeCpu - b.freeCpu || a.freeMem - b.freeMem || this.tieBreak(a, b);
  }

  /** Insertion index of the item inside one block. */
  private indexIn(block: T[], item: T): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(block[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lessThan(item: FreeItem, cpu: number, mem: number): boolean {
  return item.freeCpu < cpu || (item.freeCpu === cpu && item.freeMem < mem);
}

/** First index in an ascending list whose value is >= x. */
function lowerBoundNum(list: readonly number[], x: number): number {
  let hi = list.length;
  // Most blocks lie wholly on one side of a request: counting them needs no search.
  if (hi === 0 || list[0]! >= x) return 0;
  if (list[hi - 1]! < x) return hi;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortedMems(items: readonly FreeItem[]): number[] {
  return items.map((x) => x.freeMem).sort((a, b) => a - b);
}


// Hand-written shifts: splice allocates a result array on every call, which dominated updates.
function insertAt<T>(list: T[], index: number, item: T): void {
  list.push(item);
  for (let k = list.length - 1; k > index; k--) list[k] = list[k - 1]!;
  list[index] = item;
}

function removeAt<T>(list: T[], index: number): void {
  for (let k = index; k < list.length - 1; k++) list[k] = list[k + 1]!;
  list.pop();
}
