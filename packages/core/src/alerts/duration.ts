// Prometheus durations (prometheus/common model.ParseDuration), the syntax of a rule's `for:`: whole numbers
// each followed by a unit, units from largest to smallest, each at most once ("1h30m", "1m30s", "500ms"), or
// a bare "0". Go's own syntax ("1.5h", "1h0.5m") is NOT Prometheus' and is rejected, as Prometheus does.

/** A string that is not a Prometheus duration; `detail` omits the string itself. */
export class DurationError extends Error {
  override name = "DurationError";
  constructor(
    readonly duration: string,
    readonly detail: string,
  ) {
    super(`duration ${JSON.stringify(duration)} ${detail}`);
  }
}

const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ["y", 365 * 24 * 3600 * 1000],
  ["w", 7 * 24 * 3600 * 1000],
  ["d", 24 * 3600 * 1000],
  ["h", 3600 * 1000],
  ["m", 60 * 1000],
  ["s", 1000],
  ["ms", 1],
];
// One optional "<digits><unit>" group per unit, in order: the order and the at-most-once rule come for free.
const DURATION = new RegExp(`^${UNITS.map(([u]) => `(?:(\\d+)${u})?`).join("")}$`);

const RULE =
  'must be a Prometheus duration: whole numbers each followed by a unit (ms, s, m, h, d, w, y), largest unit ' +
  'first, e.g. "30s", "1m30s", "500ms", "2h", or "0"';

/** Why `text` does not match, worded for the likely mistake. */
function problem(text: string): string {
  if (/^\d+$/.test(text)) return `has no unit; ${RULE}`;
  if (/\d\.\d/.test(text)) return `has a fraction; use a smaller unit instead ("1m30s", not "1.5m"); ${RULE}`;
  if (text.startsWith("-")) return `must not be negative; ${RULE}`;
  return RULE;
}

/** Reads a Prometheus duration ("3s", "500ms", "1m30s", "0") as milliseconds; throws DurationError otherwise. */
export function parsePromDuration(text: string): number {
  // Prometheus accepts a bare 0 (no unit needed for nothing), and only that bare number.
  if (text === "0") return 0;
  const m = text === "" ? null : DURATION.exec(text);
  if (!m) throw new DurationError(text, problem(text));
  let ms = 0;
  UNITS.forEach(([, size], i) => {
    const digits = m[i + 1];
    if (digits !== undefined) ms += Number(digits) * size;
  });
  if (!Number.isSafeInteger(ms)) throw new DurationError(text, "is too long");
  return ms;
}

/** Formats milliseconds as Prometheus prints durations: largest units first, zeros left out ("1m30s", "0s"). */
export function formatPromDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`duration must be a whole number of ms >= 0, got ${ms}`);
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
