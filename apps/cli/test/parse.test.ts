import { LABEL_KEY_RULE } from "@kube9/client";
import { describe, expect, it } from "vitest";
import {
  parseAlgorithm,
  parseCores,
  parseLabels,
  parseMemory,
  parseName,
  parseNewObject,
  parseOutput,
  parsePodStatuses,
  parsePort,
  parseSeconds,
} from "../src/parse.js";

describe("parseCores", () => {
  const ok: [string, number, string][] = [
    ["4", 4, "whole cores"],
    ["0.5", 0.5, "fractions are allowed"],
    ["1.25", 1.25, "two decimals"],
    [".5", 0.5, "leading dot, as people type it"],
    ["500m", 0.5, "kubectl-style millicores"],
    [" 2 ", 2, "surrounding spaces from shell quoting"],
    ["1024", 1024, "the upper bound is inclusive"],
    ["0.001", 0.001, "one millicore is the smallest unit"],
  ];
  it.each(ok)("%s -> %d (%s)", (raw, want) => {
    expect(parseCores(raw)).toBe(want);
  });

  const bad: [string, string][] = [
    ["abc", "not a number at all"],
    ["", "empty"],
    ["0", "zero cores is not a node or a request"],
    ["-1", "negative"],
    ["1025", "above LIMITS.maxCpuCores"],
    ["0x10", "hex is accepted by Number() but not by us"],
    ["1e3", "exponent notation is not how people write cores"],
    ["Infinity", "Number() accepts it"],
    ["2 cores", "trailing words"],
    ["0m", "zero millicores"],
  ];
  it.each(bad)("rejects %j (%s)", (raw) => {
    expect(() => parseCores(raw)).toThrow(`--cpu must be a number of cores > 0 and <= 1024 (got "${raw}")`);
  });

  it("rejects amounts that round to 0 millicores with a specific message", () => {
    // 0.0004 cores would be stored as 0m, i.e. a free pod.
    expect(() => parseCores("0.0004")).toThrow("--cpu must be at least 0.001 cores");
  });
});

describe("parseMemory", () => {
  const ok: [string, number, string][] = [
    ["512", 512, "plain MiB"],
    ["512Mi", 512, "explicit Mi suffix"],
    ["2Gi", 2048, "Gi converts to MiB"],
    ["0", 0, "zero is allowed, as the API allows it (CPU-only pods)"],
  ];
  it.each(ok)("%s -> %d (%s)", (raw, want) => expect(parseMemory(raw)).toBe(want));

  const bad: [string, string][] = [
    ["-1", "negative"],
    ["1.5", "MiB are whole numbers"],
    ["lots", "not a number"],
    ["5000000", "above LIMITS.maxMemoryMiB"],
    ["2GB", "unknown unit"],
  ];
  it.each(bad)("rejects %j (%s)", (raw) => {
    expect(() => parseMemory(raw)).toThrow(`--memory must be a whole number of MiB from 0 to 4194304 (got "${raw}")`);
  });
});

describe("parseLabels", () => {
  const ok: [string[], Record<string, string>, string][] = [
    [[], {}, "no flags, no labels"],
    [["zone=a"], { zone: "a" }, "one label"],
    [["zone=a", "disk=ssd"], { zone: "a", disk: "ssd" }, "repeated flag"],
    [["empty="], { empty: "" }, "empty values are valid, like Kubernetes"],
    [["example.com/tier=web"], { "example.com/tier": "web" }, "prefixed keys, Kubernetes style"],
  ];
  it.each(ok)("%j -> %j (%s)", (raws, want) => expect(parseLabels(raws)).toEqual(want));

  const bad: [string[], string, string][] = [
    [["foo"], '--label must be key=value (got "foo")', "no ="],
    [["=a"], '--label must be key=value (got "=a")', "empty key"],
    [["a=1", "a=2"], "--label a is given twice", "a duplicate is an error, not a silent overwrite"],
    [["a b=1"], '--label key must be at most 63 letters', "spaces are not allowed in keys"],
    [["zone=-a"], '--label value must be empty or at most 63 letters', "values must start alphanumeric"],
    [["k=" + "v".repeat(64)], "--label value must be empty", "values are at most 63 characters"],
  ];
  it.each(bad)("rejects %j (%s)", (raws, message) => expect(() => parseLabels(raws)).toThrow(message));

  it("names the flag it parses (--selector reuses it)", () => {
    expect(() => parseLabels(["x"], "--selector")).toThrow('--selector must be key=value (got "x")');
  });
});

describe("parseOutput", () => {
  const ok: [string | undefined, string, string][] = [
    [undefined, "table", "default"],
    ["json", "json", "as typed"],
    ["YAML", "yaml", "case-insensitive"],
    ["yml", "yaml", "common abbreviation"],
    ["wide", "wide", "wide table"],
  ];
  it.each(ok)("%j -> %s (%s)", (raw, want) => expect(parseOutput(raw)).toBe(want));

  it("lists the allowed formats on a bad one", () => {
    expect(() => parseOutput("xml")).toThrow('-o/--output must be one of table, wide, json, yaml (got "xml")');
  });
});

describe("choices and small values", () => {
  const cases: [string, () => unknown, unknown, string][] = [
    ["algorithm, canonical spelling", () => parseAlgorithm("Best-Fit"), "best-fit", "case-insensitive match"],
    ["pod statuses", () => parsePodStatuses("running,Pending"), ["Running", "Pending"], "comma list, canonical case"],
    ["timeout", () => parseSeconds("1.5"), 1500, "seconds to ms"],
    ["port 0", () => parsePort("0"), 0, "0 lets the OS choose"],
    ["name", () => parseName("node-a"), "node-a", "a valid DNS-style name"],
    ["new object, cpu only", () => parseNewObject({ cpu: "2" }), { cpu: 2 }, "absent flags stay absent so the API picks defaults"],
    [
      "new object, every shared flag",
      () => parseNewObject({ cpu: "500m", memory: "1Gi", name: "web", label: ["app=web"] }),
      { cpu: 0.5, memoryMiB: 1024, name: "web", labels: { app: "web" } },
      "the fields node add and pod launch share",
    ],
  ];
  it.each(cases)("%s (%s)", (_label, fn, want) => expect(fn()).toEqual(want));

  const bad: [string, () => unknown, string][] = [
    ["unknown algorithm lists the allowed ones", () => parseAlgorithm("random"),
      '--algorithm must be one of first-fit, best-fit, worst-fit (got "random")'],
    ["unknown pod status", () => parsePodStatuses("Sleeping"), "--status must be one of Pending, Scheduled, Running"],
    ["negative timeout", () => parseSeconds("-1"), '--timeout must be a number of seconds > 0'],
    ["port out of range", () => parsePort("70000"), '--port must be a whole number from 0 to 65535 (got "70000")'],
    ["upper-case name", () => parseName("Node_A"), '--name must be lowercase letters, digits and'],
    ["name too long", () => parseName("a".repeat(64)), "at most 63 characters"],
    ["label key uses the shared rule text", () => parseLabels(["-a=b"]), `--label key must be ${LABEL_KEY_RULE} (got "-a")`],
    ["new object with a bad name", () => parseNewObject({ cpu: "1", name: "Web" }), '--name must be lowercase letters, digits and "-"'],
  ];
  it.each(bad)("%s", (_label, fn, message) => expect(fn).toThrow(message));
});
