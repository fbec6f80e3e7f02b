import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "../src/data-dir-lock.js";
import { openDatabase } from "../src/index.js";

describe("the embedded database's folder lock", () => {
  it("refuses a folder held by another live process, and says which", () => {
    const dir = mkdtempSync(join(tmpdir(), "kube9-lock-"));
    // pid 1 is always alive: a stand-in for another "kube9 up".
    writeFileSync(`${dir}.lock`, "1");
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(/in use by another process \(pid 1/);
  });

  it("takes over a lock left by a process that died, and releases it", () => {
    const dir = mkdtempSync(join(tmpdir(), "kube9-lock-"));
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    writeFileSync(`${dir}.lock`, String(dead));
    const unlock = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8")).toBe(String(process.pid));
    unlock();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("openDatabase fails with the lock error instead of opening a folder in use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube9-lock-"));
    writeFileSync(`${dir}.lock`, "1");
    await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
  });
});
