import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContainerLog, parseRecords } from "./container-log.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "k9-log-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ContainerLog", () => {
  it("stores lines with RFC3339 times and serves tail and timestamps", () => {
    const log = new ContainerLog({ dir, name: "web" });
    log.startRun();
    log.write("stdout", Buffer.from("one\ntwo\n"));
    log.write("stderr", "oops\n");
    log.write("stdout", "three\n");
    expect(log.read()).toEqual(["one", "two", "oops", "three"]);
    expect(log.read({ tail: 2 })).toEqual(["oops", "three"]);
    expect(log.read({ tail: 0 })).toEqual([]);
    const [stamped] = log.read({ tail: 1, timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z three$/);
    expect(readFileSync(join(dir, "web.log"), "utf8")).toMatch(/^\S+Z stdout F one\n/);
  });

  it("joins a line written in pieces and keeps an unfinished last line", () => {
    const log = new ContainerLog({ dir, name: "c" });
    log.startRun();
    log.write("stdout", "hel");
    log.write("stdout", "lo\nwor");
    // A UTF-8 character split across two chunks must not turn into replacement characters.
    const euro = Buffer.from("€\n");
    log.write("stderr", euro.subarray(0, 1));
    log.write("stderr", euro.subarray(1));
    log.endRun();
    expect(log.read()).toEqual(["hello", "€", "wor"]);
  });

  it("filters by since", async () => {
    const log = new ContainerLog({ dir, name: "c" });
    log.startRun();
    log.write("stdout", "old\n");
    await new Promise((r) => setTimeout(r, 20));
    const cut = new Date();
    log.write("stdout", "new\n");
    expect(log.read({ since: cut })).toEqual(["new"]);
    expect(log.read({ since: cut.toISOString() })).toEqual(["new"]);
  });

  it("caps a run's size and keeps the newest half, rotating into <name>.log.1", () => {
    const log = new ContainerLog({ dir, name: "big", capBytes: 8 * 1024 });
    log.startRun();
    for (let i = 0; i < 1000; i++) log.write("stdout", `line ${String(i).padStart(4, "0")} ${"x".repeat(40)}\n`);
    expect(log.diskBytes()).toBeLessThanOrEqual(8 * 1024);
    expect(log.diskBytes()).toBeGreaterThanOrEqual(4 * 1024);
    const lines = log.read();
    expect(lines.at(-1)).toContain("line 0999");
    // Contiguous newest lines: nothing lost in the middle of what is kept.
    const first = Number(lines[0]!.slice(5, 9));
    expect(lines.map((l) => Number(l.slice(5, 9)))).toEqual(lines.map((_, i) => first + i));
    expect(readFileSync(join(dir, "big.log.1"), "utf8").length).toBeGreaterThan(0);
  });

  it("splits very long lines into partial records and reads them back whole", () => {
    const log = new ContainerLog({ dir, name: "long" });
    log.startRun();
    const long = "y".repeat(40_000);
    log.write("stdout", `${long}\nafter\n`);
    expect(log.read()).toEqual([long, "after"]);
    expect(parseRecords(readFileSync(join(dir, "long.log"), "utf8"))).toHaveLength(2);
  });

  it("keeps the previous run for --previous when a new run starts", () => {
    const first = new ContainerLog({ dir, name: "app" });
    first.startRun();
    first.write("stdout", "run 1\n");
    first.endRun();
    // A new object (as after an agent restart) still finds the files.
    const second = new ContainerLog({ dir, name: "app" });
    second.startRun();
    second.write("stdout", "run 2\n");
    expect(second.read()).toEqual(["run 2"]);
    expect(second.read({ previous: true })).toEqual(["run 1"]);
    second.startRun();
    expect(second.read({ previous: true })).toEqual(["run 2"]);
    expect(second.read()).toEqual([]);
  });

  it("follows: existing lines, then new ones, until aborted", async () => {
    const log = new ContainerLog({ dir, name: "f" });
    log.startRun();
    log.write("stdout", "a\nb\n");
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of log.follow({ tail: 1, signal: abort.signal })) seen.push(line);
    })();
    await new Promise((r) => setTimeout(r, 10));
    log.write("stdout", "c\n");
    log.write("stderr", "d");
    await new Promise((r) => setTimeout(r, 10));
    log.write("stderr", "e\n");
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await reading;
    expect(seen).toEqual(["b", "c", "de"]);
    log.write("stdout", "ignored by the finished follower\n");
    expect(seen).toHaveLength(3);
  });

  it("follow ends when the run ends, and on a finished run yields what is there", async () => {
    const log = new ContainerLog({ dir, name: "g" });
    log.startRun();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of log.follow()) seen.push(line);
    })();
    await new Promise((r) => setTimeout(r, 5));
    log.write("stdout", "x\ntail without newline");
    log.endRun();
    await reading;
    expect(seen).toEqual(["x", "tail without newline"]);
    const again: string[] = [];
    for await (const line of log.follow({ timestamps: true })) again.push(line);
    expect(again).toHaveLength(2);
  });
});
