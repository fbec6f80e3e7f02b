import { expect, it } from "vitest";
import { MIGRATIONS } from "../src/migrations/index.js";
import { MIGRATION_NAMES } from "../src/migrations/names.js";

// A start checks names.ts alone for pending migrations: one missing there would never run on an existing database.
it("names.ts lists every migration class, in order", () => {
  expect(MIGRATION_NAMES).toEqual(MIGRATIONS.map((m) => m.name));
});
