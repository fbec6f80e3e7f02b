import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLOCK_TICKS_PER_SECOND, cpuNanosOf, monotonicCounter, parseStat, type ProcEntry } from "./proc.js";

/** A /proc/<pid>/stat line with the given command name, state, ppid and the four CPU times (ticks). */
function statLine(pid: number, comm: string, state: string, ppid: number, [utime, stime, cutime, cstime]: number[]): string {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority ...
  return `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194304 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 951093 2322432 316\n`;
}

describe("parseStat", () => {
  it.each([
    ["plain", "sleep"],
    ["spaces", "my prog"],
    ["parentheses and spaces", "a) R 1 2 (b"],
    ["a trailing ')'", "x)"],
  ])("reads the fields after the last ')' (comm with %s)", (_what, comm) => {
    const e = parseStat(42, statLine(42, comm, "S", 7, [250, 50, 10, 5]));
    // 250 + 50 own ticks, 10 + 5 of reaped children = 315.
    expect(e).toEqual({ pid: 42, state: "S", ppid: 7, pgrp: 42, session: 42, cpuTicks: 315 });
  });

  it("refuses a line without a command name", () => {
    expect(parseStat(1, "garbage")).toBeUndefined();
  });

  it("uses the clock tick rate this machine's /proc reports in (getconf CLK_TCK)", () => {
    let hz: string | undefined;
    try {
      hz = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim();
    } catch {
      // no getconf here: nothing to compare with
    }
    if (hz !== undefined) expect(Number(hz)).toBe(CLOCK_TICKS_PER_SECOND);
    expect(CLOCK_TICKS_PER_SECOND).toBe(100);
  });
});

describe("cpuNanosOf", () => {
  const row = (pid: number, ppid: number, state: string, cpuTicks: number): ProcEntry => ({ pid, ppid, pgrp: pid, session: pid, state, cpuTicks });
  const table = [row(10, 1, "S", 100), row(11, 10, "R", 30), row(12, 10, "Z", 7), row(20, 1, "S", 1000), row(21, 20, "Z", 500)];

  it("sums the members and their zombie children, nothing else", () => {
    // Members 10 and 11 (130 ticks) + 10's zombie child 12 (7 ticks) = 137 ticks = 1.37 s; 20 and its zombie are not ours.
    expect(cpuNanosOf([10, 11], table)).toBe(1.37e9);
    expect(cpuNanosOf([], table)).toBe(0);
  });
});

describe("monotonicCounter", () => {
  it("adds the increases and ignores drops (a process that took its time away when it ended)", () => {
    const count = monotonicCounter();
    // 0 -> 5 counts 5; 5 -> 12: +7 = 12; 12 -> 4 (a process left): +0 = 12; 4 -> 10: +6 = 18.
    expect([5, 12, 4, 10].map(count)).toEqual([5, 12, 12, 18]);
  });
});
