import { describe, expect, it } from "vitest";
import { formatSelector, selectorMatches, type LabelSelector, type LabelSelectorRequirement } from "./types.js";

const sel = (matchLabels: Record<string, string> = {}, matchExpressions: LabelSelectorRequirement[] = []): LabelSelector => ({
  matchLabels,
  matchExpressions,
});
const expr = (key: string, operator: LabelSelectorRequirement["operator"], values: string[] = []) => ({ key, operator, values });

describe("selectorMatches", () => {
  const cases: { name: string; selector: LabelSelector | undefined; labels: Record<string, string>; want: boolean }[] = [
    // the empty selector ({}) is "everything", even a pod without labels
    { name: "empty selector, no labels", selector: sel(), labels: {}, want: true },
    { name: "empty selector, some labels", selector: sel(), labels: { pod: "a" }, want: true },
    // an absent selector is LabelSelectorAsSelector(nil): nothing
    { name: "absent selector", selector: undefined, labels: { pod: "a" }, want: false },
    // matchLabels: every pair must be present with that exact value
    { name: "matchLabels equal", selector: sel({ pod: "a" }), labels: { pod: "a", ns: "x" }, want: true },
    { name: "matchLabels other value", selector: sel({ pod: "a" }), labels: { pod: "b" }, want: false },
    { name: "matchLabels key missing", selector: sel({ pod: "a" }), labels: {}, want: false },
    { name: "matchLabels all pairs (AND)", selector: sel({ pod: "a", tier: "web" }), labels: { pod: "a" }, want: false },
    // an empty value is a value: "" matches only a label set to ""
    { name: "matchLabels empty value", selector: sel({ flag: "" }), labels: { flag: "" }, want: true },
    { name: "matchLabels empty value, key missing", selector: sel({ flag: "" }), labels: {}, want: false },
    // In: key present and value listed
    { name: "In listed", selector: sel({}, [expr("pod", "In", ["a", "b"])]), labels: { pod: "b" }, want: true },
    { name: "In not listed", selector: sel({}, [expr("pod", "In", ["a", "b"])]), labels: { pod: "c" }, want: false },
    { name: "In key missing", selector: sel({}, [expr("pod", "In", ["a"])]), labels: {}, want: false },
    // NotIn: key missing counts as "not in" (Kubernetes' labels.Requirement)
    { name: "NotIn listed", selector: sel({}, [expr("pod", "NotIn", ["a"])]), labels: { pod: "a" }, want: false },
    { name: "NotIn not listed", selector: sel({}, [expr("pod", "NotIn", ["a"])]), labels: { pod: "b" }, want: true },
    { name: "NotIn key missing", selector: sel({}, [expr("pod", "NotIn", ["a"])]), labels: {}, want: true },
    // Exists / DoesNotExist look at the key only
    { name: "Exists present", selector: sel({}, [expr("pod", "Exists")]), labels: { pod: "" }, want: true },
    { name: "Exists missing", selector: sel({}, [expr("pod", "Exists")]), labels: { other: "a" }, want: false },
    { name: "DoesNotExist missing", selector: sel({}, [expr("pod", "DoesNotExist")]), labels: {}, want: true },
    { name: "DoesNotExist present", selector: sel({}, [expr("pod", "DoesNotExist")]), labels: { pod: "a" }, want: false },
    // matchLabels and matchExpressions are ANDed
    {
      name: "labels and expressions both hold",
      selector: sel({ tier: "web" }, [expr("pod", "In", ["a"]), expr("gone", "DoesNotExist")]),
      labels: { tier: "web", pod: "a" },
      want: true,
    },
    {
      name: "one expression fails",
      selector: sel({ tier: "web" }, [expr("pod", "In", ["a"]), expr("gone", "DoesNotExist")]),
      labels: { tier: "web", pod: "a", gone: "x" },
      want: false,
    },
    // a key inherited from Object.prototype is not a label
    { name: "prototype keys are not labels", selector: sel({}, [expr("constructor", "Exists")]), labels: {}, want: false },
  ];
  it.each(cases)("$name", ({ selector, labels, want }) => {
    expect(selectorMatches(selector, labels)).toBe(want);
  });
});

describe("formatSelector", () => {
  it("prints kubectl's selector syntax", () => {
    const s = sel({ pod: "a" }, [expr("ns", "In", ["x", "y"]), expr("env", "NotIn", ["prod"]), expr("tier", "Exists"), expr("gone", "DoesNotExist")]);
    expect(formatSelector(s)).toBe("pod=a,ns in (x,y),env notin (prod),tier,!gone");
  });
  it("prints the empty selector as {}", () => {
    expect(formatSelector(sel())).toBe("{}");
  });
});
