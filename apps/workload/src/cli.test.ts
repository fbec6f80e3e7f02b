import { describe, expect, it } from "vitest";
import { helpText, parseCommand, threadCount } from "./index.js";

describe("parseCommand", () => {
  it.each([
    [["idle"], { mode: "idle" }],
    [["cpu", "--millicores", "250"], { mode: "cpu", millicores: 250 }],
    [["cpu", "--millicores=2500"], { mode: "cpu", millicores: 2500 }],
    [["memory", "--mib", "64"], { mode: "memory", mib: 64, growMibPerS: 0 }],
    [["memory", "--mib", "0", "--grow-mib-per-s", "8"], { mode: "memory", mib: 0, growMibPerS: 8 }],
    [["http", "--port", "8080"], { mode: "http", port: 8080, host: "0.0.0.0" }],
    [["http", "--port", "80", "--host", "::"], { mode: "http", port: 80, host: "::" }],
    [["crash", "--after", "1.5", "--exit-code", "42"], { mode: "crash", afterS: 1.5, exitCode: 42 }],
    [["crash", "--after", ".25", "--exit-code", "0"], { mode: "crash", afterS: 0.25, exitCode: 0 }],
    [["exit", "--code", "0"], { mode: "exit", code: 0 }],
  ])("%j", (argv, request) => {
    expect(parseCommand(argv)).toEqual({ ok: true, request });
  });

  it.each([
    [["cpu", "--millicores", "0"], "workload cpu: --millicores must be an integer from 1 to 64000 (millicores to burn), got \"0\""],
    [["cpu", "--millicores", "1e3"], "workload cpu: --millicores must be an integer from 1 to 64000 (millicores to burn), got \"1e3\""],
    [["cpu", "--millicores"], "workload cpu: --millicores needs a value: an integer from 1 to 64000 (millicores to burn)"],
    [["cpu", "--millicores", "5", "--millicores", "6"], "workload cpu: --millicores is given twice"],
    [["idle", "--port", "1"], "workload idle: unknown flag --port; flags allowed: none"],
    [["idle", "now"], "workload idle: unexpected argument \"now\"; flags allowed: none"],
    [["http", "--port", "80", "--host", " "], "workload http: --host must be a non-empty string (address to listen on), got \" \""],
    [["crash", "--after", "-1", "--exit-code", "1"], "workload crash: --after must be a number from 0 to 31536000 (seconds before crashing), got \"-1\""],
    [["exit"], "workload exit: --code is required: an integer from 0 to 255 (exit code)"],
  ])("%j is refused", (argv, error) => {
    expect(parseCommand(argv)).toEqual({ ok: false, error });
  });

  it("asks for help on --help, -h and help", () => {
    for (const argv of [["--help"], ["cpu", "-h"], ["help"]]) expect(parseCommand(argv)).toEqual({ ok: false, help: true });
    expect(helpText()).toMatch(/^usage: workload <mode> \[flags\]/);
  });
});

describe("threadCount", () => {
  it.each([
    [1, 1],
    [1000, 1],
    [2500, 3],
  ])("%i millicores", (millicores, shares) => {
    expect(threadCount(millicores)).toEqual(shares);
  });
});
