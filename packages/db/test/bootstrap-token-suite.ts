import { describe, expect, it } from "vitest";
import { ConflictError } from "../src/index.js";
import type { Database } from "../src/index.js";

const T0 = 1_750_000_000_000;

/** Bootstrap tokens; called inside storeSuite, which empties the tables before each test. */
export function bootstrapTokenSuite(db: () => Database): void {
  describe("bootstrap tokens", () => {
    it("are stored once by id with their hash, counted when used, deleted", async () => {
      const made = await db().bootstrapTokens.create({ id: "a1b2c3", secretHash: "h1", description: "rack 7", expiresAt: T0 + 60_000, now: T0 });
      expect(made).toEqual({ id: "a1b2c3", secretHash: "h1", description: "rack 7", expiresAt: T0 + 60_000, createdAt: T0, lastUsedAt: null, uses: 0 });
      await expect(db().bootstrapTokens.create({ id: "a1b2c3", secretHash: "h2", description: "", expiresAt: T0, now: T0 })).rejects.toBeInstanceOf(ConflictError);
      await db().bootstrapTokens.markUsed("a1b2c3", T0 + 5);
      expect(await db().bootstrapTokens.get("a1b2c3")).toMatchObject({ uses: 1, lastUsedAt: T0 + 5 });
      await db().bootstrapTokens.create({ id: "d4e5f6", secretHash: "h3", description: "", expiresAt: T0 + 1, now: T0 + 1 });
      expect((await db().bootstrapTokens.list()).map((t) => t.id)).toEqual(["a1b2c3", "d4e5f6"]);
      expect(await db().bootstrapTokens.delete("d4e5f6")).toBe(true);
      expect(await db().bootstrapTokens.delete("a1b2c3")).toBe(true);
      expect(await db().bootstrapTokens.delete("a1b2c3")).toBe(false);
      expect(await db().bootstrapTokens.list()).toEqual([]);
    });
  });
}
