import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { openDatabase } from "../src/index.js";
import { storeSuite } from "./suite.js";

// Always runs: the embedded database in a fresh temp folder.
const dir = mkdtempSync(join(tmpdir(), "kube9-db-test-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("store on PGlite", () => {
  storeSuite({
    kind: "pglite",
    multiProcess: false,
    open: () => openDatabase({ dataDir: join(dir, "data") }),
  });
});
