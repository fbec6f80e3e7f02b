import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "../src/data-dir-lock.js";
import { openDatabase } from "../src/index.js";

// Every folder (and its lock beside it) lives under one parent, removed at the end.
const root = mkdtempSync(join(tmpdir(), "kube9-lock-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the embedded database's folder lock", () => {
  it("refuses a folder held by another live process, and says which", () => {
    const dir = mkdtempSync(join(root, "lock-"));
    // pid 1 is always alive: a stand-in for another "kube9 up".
    writeFileSync(`${dir}.lock`, "1");
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(/in use by another process \(pid 1/);
  });

  it("takes over a lock left by a process that died, and releases it", () => {
    const dir = mkdtempSync(join(root, "lock-"));
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    writeFileSync(`${dir}.lock`, String(dead));
    const unlock = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, "utf8")).toMatch(new RegExp(`^${process.pid} `));
    unlock();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("a lock whose pid now belongs to another process (started later) is stale", () => {
    const dir = mkdtempSync(join(root, "lock-"));
    // pid 1 is alive, but the lock says it started at tick 1: that was another process.
    writeFileSync(`${dir}.lock`, "1 1\n");
    const unlock = lockDataDir(dir);
    unlock();
  });

  it("never lets two processes hold it at once, even when they race for a stale lock", async () => {
    const racer = resolve(dirname(fileURLToPath(import.meta.url)), "fixtures/lock-racer.ts");
    const tsx = resolve(dirname(fileURLToPath(import.meta.url)), "../../../node_modules/.bin/tsx");
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(join(root, "race-"));
      const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
      // Half the rounds start from a lock a dead process left, half from none.
      if (round % 2 === 0) writeFileSync(`${dir}.lock`, String(dead));
      const startAt = Date.now() + 4000;
      const racers = Array.from({ length: 6 }, () => {
        const child = spawn(tsx, [racer, dir, String(startAt)], { stdio: ["pipe", "pipe", "inherit"] });
        let out = "";
        const said = new Promise<string>((done) => child.stdout.on("data", (d: Buffer) => { out += d.toString(); if (out.endsWith("\n")) done(out); }));
        const closed = new Promise<void>((done) => child.on("close", () => done()));
        return { child, said, closed };
      });
      // Every contender has tried before any lets go: a second "got" can only be a shared lock.
      const outs = await Promise.all(racers.map((r) => r.said));
      for (const r of racers) r.child.stdin.end();
      await Promise.all(racers.map((r) => r.closed));
      const got = outs.filter((o) => o.startsWith("got"));
      expect(got, outs.join("")).toHaveLength(1);
      expect(outs.filter((o) => o.startsWith("refused: the embedded database"))).toHaveLength(5);
    }
  }, 120_000);

  it("openDatabase fails with the lock error instead of opening a folder in use", async () => {
    const dir = mkdtempSync(join(root, "lock-"));
    writeFileSync(`${dir}.lock`, "1");
    await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
  });
});
