// The part of Prometheus' annotation templates (Go text/template) that alert texts actually use:
//   {{ $labels.node }}  {{ $value }}  {{ $value | humanizePercentage }}  (also .Labels.x and .Value)
// with the humanize, humanizePercentage and humanizeDuration pipes. Anything else is left as written: the
// engine runs every second and must never fail on a text, and a literal "{{ ... }}" shows what to fix.

// Go's text/template prints this for a map key that is absent, so a typo shows up as it would in Prometheus.
const NO_VALUE = "<no value>";
const BIG_PREFIXES = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"];
const SMALL_PREFIXES = ["", "m", "u", "n", "p", "f", "a", "z", "y"];

/** Go's names for the floats JavaScript calls NaN and Infinity, or undefined for a finite number. */
function nonFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return undefined;
}

/** `v` rounded to `digits` significant digits, trailing zeros dropped ("%.<digits>g" without the exponent form). */
function significant(v: number, digits: number): string {
  return nonFinite(v) ?? String(Number(v.toPrecision(digits)));
}

/** Formats a float as Go's %v does ({{ $value }} in Prometheus): shortest digits, exponent below 1e-4 or from 1e6. */
export function formatGoFloat(v: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  if (v === 0) return "0";
  const [mantissa = "", exp = "0"] = v.toExponential().split("e");
  const e = Number(exp);
  if (e >= -4 && e < 6) return String(v);
  // Go pads the exponent to two digits: 1e+06, 5.24288e+08, 1e-05.
  return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** SI-prefixed with 4 significant digits as Prometheus' humanize (%.4g): 1234567 → "1.235M", 0.0005 → "500u", 93 → "93". */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return significant(v, 4);
  let x = v;
  let p = 0;
  // Rounding decides the prefix, so that 999.9 reads "1k" and not "1000".
  if (Math.abs(v) >= 1) {
    while (Math.abs(Number(x.toPrecision(4))) >= 1000 && p < BIG_PREFIXES.length - 1) {
      x /= 1000;
      p++;
    }
    return `${significant(x, 4)}${BIG_PREFIXES[p]}`;
  }
  while (Math.abs(Number(x.toPrecision(4))) < 1 && p < SMALL_PREFIXES.length - 1) {
    x *= 1000;
    p++;
  }
  return `${significant(x, 4)}${SMALL_PREFIXES[p]}`;
}

/** A ratio as a percentage, as Prometheus' humanizePercentage (4 significant digits): 0.934 → "93.4%". */
export function humanizePercentage(ratio: number): string {
  return `${significant(ratio * 100, 4)}%`;
}

/** Seconds as Prometheus' humanizeDuration prints them: 65 → "1m 5s", 90061 → "1d 1h 1m 1s", 0.5 → "500ms". */
export function humanizeDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return significant(seconds, 4);
  if (seconds === 0) return "0s";
  if (Math.abs(seconds) >= 1) {
    const sign = seconds < 0 ? "-" : "";
    const whole = Math.trunc(Math.abs(seconds));
    const [d, h, m, s] = [Math.floor(whole / 86400), Math.floor(whole / 3600) % 24, Math.floor(whole / 60) % 60, whole % 60];
    if (d !== 0) return `${sign}${d}d ${h}h ${m}m ${s}s`;
    if (h !== 0) return `${sign}${h}h ${m}m ${s}s`;
    if (m !== 0) return `${sign}${m}m ${s}s`;
    return `${sign}${significant(Math.abs(seconds), 4)}s`;
  }
  let x = seconds;
  let p = 0;
  while (Math.abs(x) < 1 && p < SMALL_PREFIXES.length - 1) {
    x *= 1000;
    p++;
  }
  return `${significant(x, 4)}${SMALL_PREFIXES[p]}s`;
}

const PIPES: Record<string, (v: number) => string> = { humanize, humanizePercentage, humanizeDuration };
const LABEL_REF = /^(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)$/;
// Go's trim markers are "{{- " and " -}}" (a dash next to a space); they eat the whitespace on that side.
// The action may not contain "{{", so that a stray "{{" does not swallow the next real action.
const ACTION = /\{\{(-\s)?\s*((?:(?!\{\{).)*?)\s*(\s-)?\}\}/gs;

/** A label value piped into a humanizer must read as a float, as Go's strconv.ParseFloat would. */
function asNumber(v: string | number): number | undefined {
  if (typeof v === "number") return v;
  const n = Number(v);
  return v.trim() === "" || Number.isNaN(n) ? undefined : n;
}

/** One action's output, or undefined for anything outside the supported subset. */
function evalAction(action: string, labels: Record<string, string>, value: number): string | undefined {
  const [head = "", ...pipes] = action.split("|").map((s) => s.trim());
  let out: string | number;
  if (head === "$value" || head === ".Value") out = value;
  else {
    const ref = LABEL_REF.exec(head);
    if (!ref) return undefined;
    // Own keys only: a template naming "constructor" must not reach Object.prototype.
    out = Object.hasOwn(labels, ref[1]!) ? labels[ref[1]!]! : NO_VALUE;
  }
  for (const name of pipes) {
    const pipe = Object.hasOwn(PIPES, name) ? PIPES[name] : undefined;
    const n = asNumber(out);
    if (!pipe || n === undefined) return undefined;
    out = pipe(n);
  }
  return typeof out === "number" ? formatGoFloat(out) : out;
}

/** Expands `{{ $labels.x }}`, `{{ $value }}` and their humanize pipes; anything else stays literal (never throws). */
export function expandTemplate(text: string, labels: Record<string, string>, value: number): string {
  if (!text.includes("{{")) return text;
  let out = "";
  let last = 0;
  let trimNext = false;
  for (const m of text.matchAll(ACTION)) {
    let literal = text.slice(last, m.index);
    if (trimNext) literal = literal.trimStart();
    const expanded = evalAction(m[2]!, labels, value);
    // An action left literal keeps its markers' whitespace too: nothing of what was written is lost.
    if (expanded === undefined) out += literal + m[0];
    else out += (m[1] ? literal.trimEnd() : literal) + expanded;
    trimNext = expanded !== undefined && m[3] !== undefined;
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  return out + (trimNext ? tail.trimStart() : tail);
}
