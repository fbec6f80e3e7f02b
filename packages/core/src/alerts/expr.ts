// The PromQL subset alert rules are written in: one instant-vector selector compared with a number,
//   metric_name{label="v", label!="w"} > 0.9
// Everything else PromQL has (functions, arithmetic, and/or, regex matchers, offset, bool) is refused with a
// message saying so, rather than half-understood: a rule that silently means something else never fires.

import { ALERT_METRICS, alertMetric } from "./metrics.js";
import type { AlertExpr, AlertOp } from "./types.js";

/** An expression outside the supported subset; `detail` says what, where (column) and what is allowed. */
export class AlertExprError extends Error {
  override name = "AlertExprError";
  constructor(
    readonly expr: string,
    /** 0-based index into `expr` where the problem starts. */
    readonly position: number,
    readonly detail: string,
  ) {
    super(`invalid alert expression ${JSON.stringify(expr)}: ${detail}`);
  }
}

/** The comparison operators, longest first so that ">=" is not read as ">" then "=". */
export const ALERT_OPS: readonly AlertOp[] = [">=", "<=", "==", "!=", ">", "<"];

const SHAPE = 'expected metric{label="value"} OP number, e.g. kube9_node_cpu_usage_ratio{node="n1"} > 0.9';
const OPS_TEXT = "one of >, >=, <, <=, ==, !=";
const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };

/** A cursor over the expression; every failure goes through `fail` so that it names the column. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(detail: string, at = this.pos): never {
    throw new AlertExprError(this.text, at, `column ${at + 1}: ${detail}`);
  }
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  /** Matches a sticky regex at the cursor, advancing past it. */
  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }
  /** What stands at the cursor, quoted and shortened, for "found ..." in messages. */
  found(): string {
    const rest = this.text.slice(this.pos);
    if (rest === "") return "the end of the expression";
    return JSON.stringify(rest.length > 20 ? `${rest.slice(0, 20)}…` : rest);
  }
}

function readMetric(r: Reader): string {
  const start = r.pos;
  const name = r.match(NAME);
  if (name === undefined) r.fail(`expected a metric name, found ${r.found()}; ${SHAPE}`);
  if (r.text.slice(r.pos).trimStart().startsWith("(")) {
    r.fail(`functions such as ${name}(...) are not supported; ${SHAPE}`, start);
  }
  if (!alertMetric(name)) {
    r.fail(`unknown metric ${JSON.stringify(name)}; known metrics: ${ALERT_METRICS.map((m) => m.name).join(", ")}`, start);
  }
  return name;
}

function readString(r: Reader): string {
  const start = r.pos;
  if (!r.eat('"')) r.fail(`expected a double-quoted label value, found ${r.found()}`);
  let out = "";
  for (;;) {
    const c = r.text[r.pos];
    if (c === undefined) r.fail("unterminated label value: no closing double quote", start);
    r.pos++;
    if (c === '"') return out;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const escaped = ESCAPES[r.text[r.pos] ?? ""];
    if (escaped === undefined) r.fail('unsupported escape in label value; allowed: \\" \\\\ \\n \\t', r.pos - 1);
    out += escaped;
    r.pos++;
  }
}

function readMatchers(r: Reader, metric: string): AlertExpr["matchers"] {
  const matchers: AlertExpr["matchers"] = [];
  const known = alertMetric(metric)!.labels;
  r.skipSpace();
  // PromQL allows a trailing comma: {a="x",}
  while (!r.eat("}")) {
    const start = r.pos;
    const label = r.match(LABEL);
    if (label === undefined) r.fail(`expected a label name or "}", found ${r.found()}`);
    if (!known.includes(label)) {
      r.fail(`metric ${metric} has no label ${JSON.stringify(label)}; its labels: ${known.join(", ")}`, start);
    }
    r.skipSpace();
    const opAt = r.pos;
    const op = r.eat("!=") ? "!=" : r.eat("=~") || r.eat("!~") ? "regex" : r.eat("=") ? "=" : undefined;
    if (op === "regex") r.fail('regular-expression matchers (=~, !~) are not supported; use = or !=', opAt);
    if (op === undefined) r.fail(`expected = or != after label ${JSON.stringify(label)}, found ${r.found()}`);
    r.skipSpace();
    matchers.push({ label, op, value: readString(r) });
    r.skipSpace();
    if (r.eat(",")) r.skipSpace();
    else if (r.text[r.pos] !== "}") r.fail(`expected "," or "}" after a label matcher, found ${r.found()}`);
  }
  return matchers;
}

function readOp(r: Reader): AlertOp {
  for (const op of ALERT_OPS) if (r.eat(op)) return op;
  if (r.text[r.pos] === "=") r.fail(`"=" is not a comparison; use "==" (operators: ${OPS_TEXT})`);
  return r.fail(`expected a comparison operator (${OPS_TEXT}) after the metric, found ${r.found()}`);
}

function readNumber(r: Reader): number {
  const start = r.pos;
  const text = r.match(NUMBER);
  if (text === undefined) r.fail(`expected a number (e.g. 0.9, 90, 1e3) after the operator, found ${r.found()}`);
  if (r.text[r.pos] === "%") {
    r.fail(`PromQL has no percent: ${JSON.stringify(`${text}%`)} must be written as a ratio (90% is 0.9)`, start);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) r.fail(`number ${text} is out of range`, start);
  // "-0" compares like 0 everywhere; normalizing keeps parse/format a round trip.
  return value === 0 ? 0 : value;
}

/** Parses `metric{label="v",label!="w"} OP number`; throws AlertExprError naming what, where and what is allowed. */
export function parseAlertExpr(expr: string): AlertExpr {
  const r = new Reader(expr);
  r.skipSpace();
  if (r.pos === expr.length) r.fail(`empty expression; ${SHAPE}`);
  const metric = readMetric(r);
  r.skipSpace();
  const matchers = r.eat("{") ? readMatchers(r, metric) : [];
  r.skipSpace();
  const op = readOp(r);
  r.skipSpace();
  const threshold = readNumber(r);
  r.skipSpace();
  if (r.pos < expr.length) {
    r.fail(
      `unexpected ${r.found()} after the threshold; only one metric compared with one number is supported ` +
        "(no and/or/unless, functions or arithmetic)",
    );
  }
  return { metric, matchers, op, threshold };
}

function quote(value: string): string {
  return `"${value.replace(/[\\"\n\t]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\${c}`))}"`;
}

/** Renders an expression canonically (`m{a="x",b!="y"} > 0.9`); parseAlertExpr reads it back unchanged. */
export function formatAlertExpr(e: AlertExpr): string {
  const selector = e.matchers.length === 0 ? "" : `{${e.matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(",")}}`;
  return `${e.metric}${selector} ${e.op} ${String(e.threshold)}`;
}

/** The same expression with another threshold (canonically formatted), e.g. for editing a rule's limit. */
export function withThreshold(expr: string, threshold: number): string {
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold must be a finite number, got ${threshold}`);
  return formatAlertExpr({ ...parseAlertExpr(expr), threshold: threshold === 0 ? 0 : threshold });
}

/** Whether a sample's labels satisfy the matchers (a missing label matches "", as in PromQL). */
export function matchesAlertSelector(e: AlertExpr, labels: Record<string, string>): boolean {
  return e.matchers.every((m) => ((labels[m.label] ?? "") === m.value) === (m.op === "="));
}

/** `value OP threshold` as PromQL (Go) compares floats: NaN satisfies only "!=". */
export function satisfiesAlertOp(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case ">": return value > threshold;
    case ">=": return value >= threshold;
    case "<": return value < threshold;
    case "<=": return value <= threshold;
    case "==": return value === threshold;
    case "!=": return value !== threshold;
  }
}
