import { describe, expect, it } from "vitest";
import { decodeContinue, encodeContinue, pageAfter } from "./paging.js";

const items = [1, 2, 4, 7, 8]; // keys with gaps (deleted objects)

describe("pageAfter", () => {
  it.each([
    [null, 2, [1, 2], 3], // from the start: 2 of 5, 3 remain
    [2, 2, [4, 7], 1], // after key 2: 4 and 7, 1 remains
    [7, 2, [8], 0], // after 7: only 8, last page
    [3, 10, [4, 7, 8], 0], // after a deleted key 3: from the next one, 4
    [8, 2, [], 0], // after the last: empty, last page
    [0, 5, [1, 2, 4, 7, 8], 0], // exactly all: no continue
  ])("after %s, limit %d -> %j (%d remaining)", (after, limit, keys, remaining) => {
    const page = pageAfter(items, (k) => k, after, limit);
    expect(page.items).toEqual(keys);
    expect(page.remaining).toBe(remaining);
    // A continue token exactly when something remains, naming the page's last key.
    expect(page.continue).toBe(remaining > 0 ? encodeContinue(keys.at(-1)!) : null);
  });

  it("following the tokens visits every item once", () => {
    const seen: number[] = [];
    let after: number | null = null;
    for (;;) {
      const page = pageAfter(items, (k) => k, after, 2);
      seen.push(...page.items);
      if (!page.continue) break;
      const d = decodeContinue(page.continue);
      if (!d.ok) throw new Error(d.error);
      after = d.key;
    }
    expect(seen).toEqual(items);
  });
});

describe("decodeContinue", () => {
  it.each([
    [encodeContinue(42), { ok: true, key: 42 }], // round trip
    ["42", { ok: false }], // not a token
    ["k9c1.!!", { ok: false }], // not base-36 digits
    ["k9c1.-3", { ok: false }], // negative
  ])("%s", (token, result) => {
    expect(decodeContinue(token)).toMatchObject(result);
  });
});
