import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALERT_OPS,
  AlertExprError,
  formatAlertExpr,
  matchesAlertSelector,
  parseAlertExpr,
  satisfiesAlertOp,
  withThreshold,
} from "./expr.js";
import { ALERT_METRICS } from "./metrics.js";
import type { AlertExpr, AlertOp } from "./types.js";

const CPU = "kube9_node_cpu_usage_ratio";
const MEM = "kube9_container_memory_limit_ratio";

describe("parseAlertExpr accepts", () => {
  const cases: { expr: string; want: AlertExpr }[] = [
    // the plain form: no matchers
    { expr: `${CPU} > 0.9`, want: { metric: CPU, matchers: [], op: ">", threshold: 0.9 } },
    // every operator, each read whole (">=" is not ">" then "=")
    ...(["<", "<=", ">", ">=", "==", "!="] as AlertOp[]).map((op) => ({
      expr: `${CPU} ${op} 1`,
      want: { metric: CPU, matchers: [], op, threshold: 1 },
    })),
    // no spaces at all
    { expr: `${CPU}>=0.5`, want: { metric: CPU, matchers: [], op: ">=", threshold: 0.5 } },
    // spaces, tabs and newlines anywhere between tokens (YAML block scalars end in a newline)
    {
      expr: `\n ${MEM} {\tnamespace = "a" ,container != "b" } \n<= 1e3\n`,
      want: {
        metric: MEM,
        matchers: [{ label: "namespace", op: "=", value: "a" }, { label: "container", op: "!=", value: "b" }],
        op: "<=",
        threshold: 1000,
      },
    },
    // PromQL allows a trailing comma, and empty braces
    { expr: `${CPU}{node="n1",} > 1`, want: { metric: CPU, matchers: [{ label: "node", op: "=", value: "n1" }], op: ">", threshold: 1 } },
    { expr: `${CPU}{} > 1`, want: { metric: CPU, matchers: [], op: ">", threshold: 1 } },
    // escapes: \" is a quote, \\ a backslash, \n and \t as in Go strings
    {
      expr: `${CPU}{node="a\\"b\\\\c\\nd\\te"} > 1`,
      want: { metric: CPU, matchers: [{ label: "node", op: "=", value: 'a"b\\c\nd\te' }], op: ">", threshold: 1 },
    },
    // numbers: exponent 1e3 = 1000, 2.5E-1 = 0.25, leading dot .5, signs, trailing dot
    { expr: `${CPU} > 2.5E-1`, want: { metric: CPU, matchers: [], op: ">", threshold: 0.25 } },
    { expr: `${CPU} > .5`, want: { metric: CPU, matchers: [], op: ">", threshold: 0.5 } },
    { expr: `${CPU} > -1`, want: { metric: CPU, matchers: [], op: ">", threshold: -1 } },
    { expr: `${CPU} > +2.`, want: { metric: CPU, matchers: [], op: ">", threshold: 2 } },
    // -0 compares like 0 and is read as 0
    { expr: `${CPU} > -0`, want: { metric: CPU, matchers: [], op: ">", threshold: 0 } },
    // the same label twice is allowed (both must hold)
    {
      expr: `${CPU}{node!="a",node!="b"} > 0`,
      want: { metric: CPU, matchers: [{ label: "node", op: "!=", value: "a" }, { label: "node", op: "!=", value: "b" }], op: ">", threshold: 0 },
    },
  ];
  it.each(cases)("$expr", ({ expr, want }) => {
    expect(parseAlertExpr(expr)).toEqual(want);
  });
});

describe("parseAlertExpr refuses, saying what, where and what is allowed", () => {
  const cases: { name: string; expr: string; col: number; want: string }[] = [
    // nothing at all
    { name: "empty", expr: "  ", col: 3, want: 'empty expression; expected metric{label="value"} OP number' },
    // not a name where the metric goes
    { name: "no metric", expr: "> 1", col: 1, want: 'expected a metric name, found "> 1"' },
    // a metric kube9 does not have: the known ones are listed
    { name: "unknown metric", expr: "up == 0", col: 1, want: 'unknown metric "up"; known metrics: kube9_node_cpu_usage_millicores, ' },
    // functions are PromQL, but not this subset
    { name: "function", expr: `rate(${CPU}[5m]) > 1`, col: 1, want: "functions such as rate(...) are not supported" },
    // pod is not a label of a node metric (column 28 is just after the 26-char name and "{")
    { name: "unknown label", expr: `${CPU}{pod="x"} > 1`, col: 28, want: `metric ${CPU} has no label "pod"; its labels: node` },
    // neither a label nor "}" after "{"
    { name: "bad label", expr: `${CPU}{"x"} > 1`, col: 28, want: 'expected a label name or "}", found "\\"x\\"} > 1"' },
    // regex matchers are refused, pointing at the operator
    { name: "regex =~", expr: `${CPU}{node=~"n.*"} > 1`, col: 32, want: "regular-expression matchers (=~, !~) are not supported; use = or !=" },
    { name: "regex !~", expr: `${CPU}{node!~"n.*"} > 1`, col: 32, want: "regular-expression matchers (=~, !~) are not supported" },
    // a label with no operator
    { name: "no matcher op", expr: `${CPU}{node "a"} > 1`, col: 33, want: 'expected = or != after label "node"' },
    // single quotes are PromQL but not this subset
    { name: "single quotes", expr: `${CPU}{node='a'} > 1`, col: 33, want: "expected a double-quoted label value" },
    // the quote never closes: the column is where the value starts
    { name: "unterminated", expr: `${CPU}{node="a} > 1`, col: 33, want: "unterminated label value: no closing double quote" },
    // \q is no escape: the column is the backslash's
    { name: "bad escape", expr: `${CPU}{node="a\\q"} > 1`, col: 35, want: 'unsupported escape in label value; allowed: \\" \\\\ \\n \\t' },
    // two matchers need a comma between them
    { name: "missing comma", expr: `${CPU}{node="a" node="b"} > 1`, col: 37, want: 'expected "," or "}" after a label matcher' },
    // no operator after the selector
    { name: "no op", expr: `${CPU} 0.9`, col: 28, want: "expected a comparison operator (one of >, >=, <, <=, ==, !=) after the metric" },
    // a single "=" is assignment-looking, and PromQL's equality is "=="
    { name: "single =", expr: `${CPU} = 1`, col: 28, want: '"=" is not a comparison; use "=="' },
    // nothing after the operator
    { name: "no number", expr: `${CPU} >`, col: 29, want: "expected a number (e.g. 0.9, 90, 1e3) after the operator, found the end of the expression" },
    // the bool modifier is not supported (it is read where the number goes)
    { name: "bool", expr: `${CPU} > bool 1`, col: 30, want: 'expected a number (e.g. 0.9, 90, 1e3) after the operator, found "bool 1"' },
    // PromQL has no percent: say what to write instead
    { name: "percent", expr: `${CPU} > 90%`, col: 30, want: 'PromQL has no percent: "90%" must be written as a ratio (90% is 0.9)' },
    // 1e999 is Infinity in a double
    { name: "out of range", expr: `${CPU} > 1e999`, col: 30, want: "number 1e999 is out of range" },
    // and/or/unless are not supported
    { name: "trailing and", expr: `${CPU} > 0.9 and up`, col: 34, want: 'unexpected "and up" after the threshold; only one metric compared with one number' },
    // a long tail is shortened in the message (26-char name + " > 1 " puts the x at column 32)
    { name: "long tail", expr: `${CPU} > 1 ${"x".repeat(40)}`, col: 32, want: `unexpected "${"x".repeat(20)}…"` },
  ];
  it.each(cases)("$name", ({ expr, col, want }) => {
    let error: unknown;
    try {
      parseAlertExpr(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlertExprError);
    const e = error as AlertExprError;
    expect(e.detail).toContain(`column ${col}: `);
    expect(e.detail).toContain(want);
    expect(e.position).toBe(col - 1);
    // the message names the expression; the detail does not (field errors print the value themselves)
    expect(e.message).toBe(`invalid alert expression ${JSON.stringify(expr)}: ${e.detail}`);
  });

  it("lists every known metric for an unknown one", () => {
    expect(() => parseAlertExpr("nope > 1")).toThrow(ALERT_METRICS.map((m) => m.name).join(", "));
  });
});

describe("formatAlertExpr", () => {
  const cases: { expr: string; want: string }[] = [
    // canonical: no spaces in the selector, one around the operator
    { expr: `  ${CPU}{ node = "n1" }>=0.9 `, want: `${CPU}{node="n1"} >= 0.9` },
    // empty braces are dropped
    { expr: `${CPU}{} < 1`, want: `${CPU} < 1` },
    // numbers as JavaScript prints them: 1e3 -> 1000, 1e21 keeps its exponent
    { expr: `${CPU} != 1e3`, want: `${CPU} != 1000` },
    { expr: `${CPU} == 1e21`, want: `${CPU} == 1e+21` },
    // values re-escaped: quote, backslash, newline, tab
    { expr: `${CPU}{node!="a\\"b\\\\c\\nd\\te"} > 1`, want: `${CPU}{node!="a\\"b\\\\c\\nd\\te"} > 1` },
  ];
  it.each(cases)("$expr -> $want", ({ expr, want }) => {
    expect(formatAlertExpr(parseAlertExpr(expr))).toBe(want);
  });

  const exprArb: fc.Arbitrary<AlertExpr> = fc
    .constantFrom(...ALERT_METRICS)
    .chain((m) =>
      fc.record({
        metric: fc.constant(m.name),
        matchers: fc.array(
          fc.record({ label: fc.constantFrom(...m.labels), op: fc.constantFrom("=" as const, "!=" as const), value: fc.string({ unit: "binary" }) }),
          { maxLength: 4 },
        ),
        op: fc.constantFrom(...ALERT_OPS),
        // -0 is read as 0, so the generator does not make it
        threshold: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
      }),
    );

  it("round-trips: parse(format(e)) is e, whatever the values and numbers", () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        expect(parseAlertExpr(formatAlertExpr(e))).toEqual(e);
      }),
    );
  });

  it("round-trips written text: format(parse(x)) is canonical whatever the spacing", () => {
    const space = fc.constantFrom("", " ", "  ", "\t", "\n ");
    const written = fc.tuple(exprArb, fc.array(space, { minLength: 8, maxLength: 8 })).map(([e, s]) => {
      const matchers = e.matchers.map((m) => `${s[0]}${m.label}${s[1]}${m.op}${s[2]}${JSON.stringify(m.value)}`);
      const selector = e.matchers.length ? `${s[3]}{${matchers.join(`${s[4]},`)}${s[5]}}` : "";
      return { e, text: `${s[6]}${e.metric}${selector}${s[7]}${e.op} ${String(e.threshold)}${s[6]}` };
    });
    // JSON.stringify escapes more than PromQL reads (\u0001, \r...), so keep values to what both write alike
    const plain = written.filter(({ e }) => e.matchers.every((m) => /^[^\\"\u0000-\u001f\u007f-\u{10ffff}]*$/u.test(m.value)));
    fc.assert(
      fc.property(plain, ({ e, text }) => {
        expect(formatAlertExpr(parseAlertExpr(text))).toBe(formatAlertExpr(e));
      }),
    );
  });
});

describe("withThreshold", () => {
  it("changes only the threshold", () => {
    // 0.9 -> 0.8, matchers and operator kept, text canonical
    expect(withThreshold(`${CPU}{node!="n1"}>0.9`, 0.8)).toBe(`${CPU}{node!="n1"} > 0.8`);
    // -0 is written 0
    expect(withThreshold(`${CPU} < 1`, -0)).toBe(`${CPU} < 0`);
  });
  it("refuses a threshold that is not a finite number, and a bad expression", () => {
    expect(() => withThreshold(`${CPU} > 1`, NaN)).toThrow(RangeError);
    expect(() => withThreshold(`${CPU} > 1`, Infinity)).toThrow(RangeError);
    expect(() => withThreshold("up > 1", 1)).toThrow(AlertExprError);
  });
});

describe("matchesAlertSelector", () => {
  const labels = { namespace: "default", pod: "web", container: "app", node: "n1" };
  const cases: { selector: string; want: boolean }[] = [
    // no matchers: every series
    { selector: "", want: true },
    // = equal value
    { selector: '{pod="web"}', want: true },
    { selector: '{pod="db"}', want: false },
    // != different value
    { selector: '{pod!="db"}', want: true },
    { selector: '{pod!="web"}', want: false },
    // all must hold: web matches, n2 does not
    { selector: '{pod="web",node="n2"}', want: false },
    { selector: '{pod="web",node!="n2"}', want: true },
    // "" matches an absent or empty label, as in PromQL; every series here has a node
    { selector: '{node=""}', want: false },
    { selector: '{node!=""}', want: true },
  ];
  it.each(cases)("$selector -> $want", ({ selector, want }) => {
    expect(matchesAlertSelector(parseAlertExpr(`${MEM}${selector} > 0`), labels)).toBe(want);
  });
  it("a label the sample lacks reads as empty", () => {
    expect(matchesAlertSelector(parseAlertExpr(`${MEM}{container=""} > 0`), { pod: "web" })).toBe(true);
  });
});

describe("satisfiesAlertOp", () => {
  const cases: { value: number; op: AlertOp; threshold: number; want: boolean }[] = [
    // 0.95 > 0.9, 0.9 > 0.9 is not
    { value: 0.95, op: ">", threshold: 0.9, want: true },
    { value: 0.9, op: ">", threshold: 0.9, want: false },
    // 0.9 >= 0.9; 0.89 >= 0.9 is not
    { value: 0.9, op: ">=", threshold: 0.9, want: true },
    { value: 0.89, op: ">=", threshold: 0.9, want: false },
    // 1 < 2; 2 < 2 is not
    { value: 1, op: "<", threshold: 2, want: true },
    { value: 2, op: "<", threshold: 2, want: false },
    // 2 <= 2; 3 <= 2 is not
    { value: 2, op: "<=", threshold: 2, want: true },
    { value: 3, op: "<=", threshold: 2, want: false },
    // 0 == 0; 1 == 0 is not
    { value: 0, op: "==", threshold: 0, want: true },
    { value: 1, op: "==", threshold: 0, want: false },
    // 1 != 0; 0 != 0 is not
    { value: 1, op: "!=", threshold: 0, want: true },
    { value: 0, op: "!=", threshold: 0, want: false },
    // NaN compares false except with != (Go float semantics, so PromQL's)
    { value: NaN, op: ">", threshold: 0, want: false },
    { value: NaN, op: "==", threshold: 0, want: false },
    { value: NaN, op: "!=", threshold: 0, want: true },
  ];
  it.each(cases)("$value $op $threshold -> $want", ({ value, op, threshold, want }) => {
    expect(satisfiesAlertOp(value, op, threshold)).toBe(want);
  });
});
