import { describe, expect, it } from "vitest";
import {
  formatAge,
  formatCores,
  formatCounts,
  formatCpuPair,
  formatLabels,
  formatPercent,
  serialize,
} from "../src/output/format.js";
import { renderFields, renderTable } from "../src/output/table.js";

describe("formatCores", () => {
  const cases: [number, string, string][] = [
    [2000, "2", "whole cores drop the m"],
    [500, "0.5", "half a core"],
    [1250, "1.25", "quarter steps"],
    [1, "0.001", "one millicore"],
    [0, "0", "nothing allocated"],
    [300.00000000000006, "0.3", "float noise from sums is rounded away"],
  ];
  it.each(cases)("%d m -> %s (%s)", (milli, want) => expect(formatCores(milli)).toBe(want));

  it("pairs allocated/capacity", () => expect(formatCpuPair(1500, 4000)).toBe("1.5/4"));
});

describe("formatAge", () => {
  const now = Date.parse("2025-01-01T12:00:00Z");
  const ago = (s: number) => new Date(now - s * 1000).toISOString();
  const cases: [string | null, string, string][] = [
    [null, "-", "never (e.g. no heartbeat yet)"],
    ["not a date", "-", "garbage does not print NaN"],
    [ago(0), "0s", "just now"],
    [new Date(now + 3000).toISOString(), "0s", "clock skew into the future clamps to 0"],
    [ago(45), "45s", "seconds under two minutes"],
    [ago(150), "2m30s", "minutes and seconds under ten minutes"],
    [ago(600), "10m", "whole minutes from ten minutes"],
    [ago(3 * 3600 + 60), "3h1m", "hours and minutes under ten hours"],
    [ago(30 * 3600), "30h", "hours under two days"],
    [ago(3 * 86400), "3d", "days"],
  ];
  it.each(cases)("%s -> %s (%s)", (iso, want) => expect(formatAge(iso, now)).toBe(want));
});

describe("small formatters", () => {
  const cases: [string, string, string][] = [
    [formatPercent(1, 4), "25%", "plain share"],
    [formatPercent(0, 0), "0%", "empty cluster is 0%, not NaN%"],
    [formatLabels({ zone: "a", disk: "ssd" }), "disk=ssd,zone=a", "sorted for stable output"],
    [formatLabels({}), "<none>", "no labels"],
    [formatCounts({ Failed: 1, Ready: 2, Provisioning: 0 }, ["Ready", "Failed"]), "Ready 2, Failed 1", "order given, zeros skipped"],
    [formatCounts({}, []), "none", "nothing to count"],
  ];
  it.each(cases)("%s (%s)", (got, want) => expect(got).toBe(want));
});

describe("serialize", () => {
  const data = [{ name: "a", cpu: 1 }];
  it("prints JSON exactly (an array for lists)", () => expect(JSON.parse(serialize("json", data)!)).toEqual(data));
  it("prints YAML", () => expect(serialize("yaml", data)).toBe("- name: a\n  cpu: 1"));
  it("leaves table formats to the caller", () => {
    expect(serialize("table", data)).toBeUndefined();
    expect(serialize("wide", data)).toBeUndefined();
  });
});

describe("renderTable", () => {
  it("aligns columns with three spaces and no trailing whitespace", () => {
    const out = renderTable(["NAME", "STATUS"], [["node-a", "Ready"], ["b", "Failed"]]);
    expect(out.split("\n")).toEqual(["NAME     STATUS", "node-a   Ready", "b        Failed"]);
  });
  it("prints just the header for no rows", () => expect(renderTable(["A", "B"], [])).toBe("A   B"));
  it("treats missing cells as empty (noUncheckedIndexedAccess-safe)", () => {
    expect(renderTable(["A", "B", "C"], [["x"]]).split("\n")[1]).toBe("x");
  });
  it("aligns describe fields", () => {
    expect(renderFields([["Name", "a"], ["Last heartbeat", "2s"]])).toBe("Name:            a\nLast heartbeat:  2s");
  });
});
