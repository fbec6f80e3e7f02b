import { describe, expect, it } from "vitest";
import { child, FieldErrors } from "./field-errors.js";

describe("FieldErrors messages", () => {
  const cases: { name: string; add: (e: FieldErrors) => void; want: { field: string; message: string } }[] = [
    // Required with and without a detail
    { name: "required", add: (e) => e.required("spec.containers"), want: { field: "spec.containers", message: "spec.containers: Required value" } },
    { name: "required, detail", add: (e) => e.required("p", "must specify a handler type"), want: { field: "p", message: "p: Required value: must specify a handler type" } },
    // strings are quoted, numbers bare, as Go's %#v-ish printing in field.Invalid
    { name: "invalid string", add: (e) => e.invalid("f", "x", "bad"), want: { field: "f", message: 'f: Invalid value: "x": bad' } },
    { name: "invalid number", add: (e) => e.invalid("f", 0, "bad"), want: { field: "f", message: "f: Invalid value: 0: bad" } },
    // an absent value prints as null
    { name: "invalid undefined", add: (e) => e.invalid("f", undefined, "bad"), want: { field: "f", message: "f: Invalid value: null: bad" } },
    // each supported value quoted, comma-separated
    { name: "unsupported", add: (e) => e.unsupported("f", "X", ["A", "B"]), want: { field: "f", message: 'f: Unsupported value: "X": supported values: "A", "B"' } },
    { name: "duplicate", add: (e) => e.duplicate("f", "web"), want: { field: "f", message: 'f: Duplicate value: "web"' } },
    { name: "forbidden", add: (e) => e.forbidden("f", "no"), want: { field: "f", message: "f: Forbidden: no" } },
    // 33 items against a limit of 32
    { name: "too many", add: (e) => e.tooMany("f", 33, 32), want: { field: "f", message: "f: Too many: 33: must have at most 32 items" } },
    // strict decoding: no "field:" prefix, the path quoted
    { name: "unknown", add: (e) => e.unknown("spec.foo"), want: { field: "spec.foo", message: 'unknown field "spec.foo"' } },
  ];
  it.each(cases)("$name", ({ add, want }) => {
    const errs = new FieldErrors();
    add(errs);
    expect(errs.list).toEqual([want]);
  });

  it("child joins paths, the root being empty", () => {
    expect(child("", "spec")).toBe("spec");
    expect(child("spec", "containers")).toBe("spec.containers");
  });
});

describe("FieldErrors readers", () => {
  const cases: { name: string; read: (e: FieldErrors) => unknown; want: unknown; errors: string[] }[] = [
    // absent optional integer: the fallback, no error
    { name: "integer absent", read: (e) => e.integer(undefined, "n", 1, 10), want: 10, errors: [] },
    // 0 < min 1: reported, fallback returned so reading can go on
    { name: "integer below min", read: (e) => e.integer(0, "n", 1, 10), want: 10, errors: ["n: Invalid value: 0: must be greater than or equal to 1"] },
    // a numeric string is not an integer
    { name: "integer as string", read: (e) => e.integer("5", "n", 0, 1), want: 1, errors: ['n: Invalid value: "5": must be an integer'] },
    // "" counts as absent: required -> Required value
    { name: "required empty string", read: (e) => e.string("", "s", true), want: undefined, errors: ["s: Required value"] },
    // optional "" is kept as given
    { name: "optional empty string", read: (e) => e.string("", "s"), want: "", errors: [] },
    { name: "string of wrong type", read: (e) => e.string(5, "s"), want: undefined, errors: ["s: Invalid value: 5: must be a string"] },
    // absent list -> []; a non-string element is reported by index
    { name: "strings", read: (e) => e.strings(["a", 2, "c"], "l"), want: ["a", "c"], errors: ["l[1]: Invalid value: 2: must be a string"] },
    // unknown keys reported, the object still returned
    { name: "object with extra key", read: (e) => e.object({ a: 1, b: 2 }, "o", ["a"]), want: { a: 1, b: 2 }, errors: ['unknown field "o.b"'] },
    // a list where an object belongs
    { name: "object given a list", read: (e) => e.object([], "o", []), want: undefined, errors: ["o: Invalid value: []: must be an object"] },
    // a rejected map entry is dropped, the rest kept
    {
      name: "stringMap",
      read: (e) => e.stringMap({ a: "x", b: 1 }, "m", undefined, (v) => (v === "x" ? undefined : "bad")),
      want: { a: "x" },
      errors: ["m[b]: Invalid value: 1: must be a string"],
    },
    // absent -> fallback; present outside the set -> Unsupported and fallback
    { name: "oneOf absent", read: (e) => e.oneOf(undefined, "p", ["A", "B"], "A"), want: "A", errors: [] },
    { name: "oneOf unsupported", read: (e) => e.oneOf("C", "p", ["A", "B"], "A"), want: "A", errors: ['p: Unsupported value: "C": supported values: "A", "B"'] },
  ];
  it.each(cases)("$name", ({ read, want, errors }) => {
    const errs = new FieldErrors();
    expect(read(errs)).toEqual(want);
    expect(errs.list.map((e) => e.message)).toEqual(errors);
  });
});
