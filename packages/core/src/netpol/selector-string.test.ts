import { describe, expect, it } from "vitest";
import { parseSelectorString } from "./selector-string.js";
import { selectorMatches } from "./types.js";

describe("parseSelectorString", () => {
  it.each([
    // Empty: every pod (as kubectl without -l).
    { text: "", labels: { a: "1" }, match: true },
    // Equality, both spellings; a missing key does not match.
    { text: "app=web", labels: { app: "web" }, match: true },
    { text: "app==web", labels: { app: "db" }, match: false },
    { text: "app=web", labels: {}, match: false },
    // != is NotIn of one value: a pod without the key matches, as in Kubernetes.
    { text: "tier!=db", labels: {}, match: true },
    { text: "tier!=db", labels: { tier: "db" }, match: false },
    // Sets, with the comma inside the parentheses belonging to the set.
    { text: "ns in (x,y),pod=a", labels: { ns: "y", pod: "a" }, match: true },
    { text: "ns notin (x, y)", labels: { ns: "x" }, match: false },
    // Exists and DoesNotExist.
    { text: "ready", labels: { ready: "" }, match: true },
    { text: "!gone", labels: { gone: "1" }, match: false },
  ])("$text on $labels -> $match", ({ text, labels, match }) => {
    const r = parseSelectorString(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(selectorMatches(r.selector, labels)).toBe(match);
  });

  it.each(["ns in (x", "ns in ()", "a b c", "bad key!=x", "k=bad value!"])("refuses %s with the reason", (text) => {
    const r = parseSelectorString(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("selector");
  });
});
