import { TRPCError } from "@trpc/server";
import type { Database } from "@kube9/db";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, openTestDatabase, type Harness } from "./harness.js";

// nodes.page: thousands of nodes a page at a time (limit + continue), filtered by status and labels.
describe("node pages", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;

  beforeAll(async () => {
    shared = await openTestDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
    // n0..n6 in this order; even ones are tier=web, n0..n2 zone=a.
    for (let i = 0; i < 7; i++) {
      await h.admin.nodes.add({ name: `n${i}`, cpu: 1, labels: { tier: i % 2 === 0 ? "web" : "db", ...(i < 3 ? { zone: "a" } : {}) } });
    }
  });
  afterEach(async () => {
    await h?.close();
  });

  async function all(input: { limit: number; status?: Array<"Provisioning" | "Ready">; selector?: string }): Promise<string[][]> {
    const pages: string[][] = [];
    let next: string | undefined;
    do {
      const page = await h.admin.nodes.page({ ...input, ...(next ? { continue: next } : {}) });
      pages.push(page.items.map((n) => n.name));
      next = page.continue ?? undefined;
    } while (next);
    return pages;
  }

  it("pages of 3 in registration order, each node once", async () => {
    expect(await all({ limit: 3 })).toEqual([["n0", "n1", "n2"], ["n3", "n4", "n5"], ["n6"]]);
    const first = await h.admin.nodes.page({ limit: 3 });
    expect(first.remaining).toBe(4); // 7 - 3
  });

  it("a node removed between pages does not shift the next page", async () => {
    const first = await h.admin.nodes.page({ limit: 3 });
    await h.admin.nodes.remove({ name: "n1" });
    await h.admin.nodes.remove({ name: "n3" });
    const second = await h.admin.nodes.page({ limit: 3, continue: first.continue! });
    expect(second.items.map((n) => n.name)).toEqual(["n4", "n5", "n6"]);
  });

  it.each([
    ["tier=web", [["n0", "n2"], ["n4", "n6"]]], // equality: the even ones, 2 per page
    ["tier=web,zone=a", [["n0", "n2"]]], // both: n0 and n2
    ["zone notin (a)", [["n3", "n4"], ["n5", "n6"]]], // no zone label counts as not in (a)
    ["!zone", [["n3", "n4"], ["n5", "n6"]]], // without the label
    ["tier in (cache)", [[]]], // none: one empty page
  ])("selector %s", async (selector, pages) => {
    expect(await all({ limit: 2, selector })).toEqual(pages);
    expect((await h.admin.nodes.list({ selector })).map((n) => n.name)).toEqual(pages.flat());
  });

  it("filters by status", async () => {
    // n2 and n5 register: Ready; the others are still Provisioning.
    for (const n of ["n2", "n5"]) await (await h.agent(n)).agent.register({});
    expect(await all({ limit: 10, status: ["Ready"] })).toEqual([["n2", "n5"]]);
    expect(await all({ limit: 3, status: ["Provisioning"] })).toEqual([["n0", "n1", "n3"], ["n4", "n6"]]);
  });

  it.each([
    [{ limit: 2, continue: "nonsense" }, /continue: "nonsense" is not a continue token from a previous page/],
    [{ limit: 2, selector: "tier in ()" }, /^selector: /],
    [{ limit: 0 }, /limit/],
    [{ limit: 2, extra: 1 }, /unrecognized|extra/i],
  ])("%j is refused, naming the field", async (input, message) => {
    const err = await h.admin.nodes.page(input as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    expect((err as TRPCError).message).toMatch(message);
  });
});
