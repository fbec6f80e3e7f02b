import { describe, expect, it } from "vitest";
import { FieldErrors } from "./field-errors.js";
import { portNameProblems, readProbe } from "./probe-manifest.js";
import { PROBE_DEFAULTS } from "./types.js";

describe("portNameProblems (IANA_SVC_NAME)", () => {
  const cases: { name: string; want: string[] }[] = [
    // lowercase letters, digits, single hyphens inside: valid
    { name: "http", want: [] },
    { name: "web-8080", want: [] },
    // exactly 15 characters is the limit
    { name: "a".repeat(15), want: [] },
    // 16 characters is one too many
    { name: "a".repeat(16), want: ["must be no more than 15 characters"] },
    // uppercase is outside a-z
    { name: "Http", want: ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"] },
    // digits only: a name needs a letter to tell it from a number
    { name: "8080", want: ["must contain at least one letter (a-z)"] },
    { name: "a--b", want: ["must not contain consecutive hyphens"] },
    { name: "-a", want: ["must not begin or end with a hyphen"] },
  ];
  it.each(cases)("$name", ({ name, want }) => {
    expect(portNameProblems(name)).toEqual(want);
  });
});

describe("readProbe", () => {
  it("returns undefined without errors when the probe is absent", () => {
    const errs = new FieldErrors();
    expect(readProbe(errs, undefined, "p", "liveness", [])).toBeUndefined();
    expect(errs.list).toEqual([]);
  });

  it("returns undefined for an invalid probe, so no half-read probe reaches the spec", () => {
    const errs = new FieldErrors();
    // periodSeconds 0 < 1: reported, and the probe dropped
    expect(readProbe(errs, { exec: { command: ["true"] }, periodSeconds: 0 }, "p", "readiness", [])).toBeUndefined();
    expect(errs.list.map((e) => e.message)).toEqual(["p.periodSeconds: Invalid value: 0: must be greater than or equal to 1"]);
  });

  it("resolves a named port against the container's ports", () => {
    const errs = new FieldErrors();
    const got = readProbe(errs, { tcpSocket: { port: "db" } }, "p", "readiness", [{ containerPort: 5432, name: "db", protocol: "TCP" }]);
    expect(got).toEqual({ tcpSocket: { port: "db" }, ...PROBE_DEFAULTS });
    expect(errs.list).toEqual([]);
  });
});
