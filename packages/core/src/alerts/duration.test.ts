import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DurationError, formatPromDuration, parsePromDuration } from "./duration.js";

describe("parsePromDuration", () => {
  const ok: { text: string; want: number }[] = [
    // 3 s = 3000 ms
    { text: "3s", want: 3000 },
    // ms is its own unit, not m then s
    { text: "500ms", want: 500 },
    // 1 min = 60 000 ms
    { text: "1m", want: 60_000 },
    // 60 000 + 30 000
    { text: "1m30s", want: 90_000 },
    // 2 × 3 600 000
    { text: "2h", want: 7_200_000 },
    // zero with a unit, and Prometheus' bare "0"
    { text: "0s", want: 0 },
    { text: "0", want: 0 },
    // 86 400 000 + 2 × 3 600 000
    { text: "1d2h", want: 93_600_000 },
    // a week is 7 days: 604 800 000
    { text: "1w", want: 604_800_000 },
    // a year is 365 days in Prometheus: 31 536 000 000
    { text: "1y", want: 31_536_000_000 },
    // every unit once, largest first: 1y+1w+1d+1h+1m+1s+1ms
    { text: "1y1w1d1h1m1s1ms", want: 31_536_000_000 + 604_800_000 + 86_400_000 + 3_600_000 + 60_000 + 1000 + 1 },
    // a count need not fit its unit: 90s is 90 000 ms (Prometheus does not require 1m30s)
    { text: "90s", want: 90_000 },
    // 1 h + 500 ms: units may be skipped
    { text: "1h500ms", want: 3_600_500 },
  ];
  it.each(ok)("$text -> $want ms", ({ text, want }) => {
    expect(parsePromDuration(text)).toBe(want);
  });

  const bad: { text: string; want: string }[] = [
    // nothing to read
    { text: "", want: 'duration "" must be a Prometheus duration' },
    // only 0 may go without a unit
    { text: "30", want: 'duration "30" has no unit' },
    // Go's fractions are not Prometheus syntax
    { text: "1.5m", want: 'duration "1.5m" has a fraction; use a smaller unit instead' },
    // a duration cannot be negative
    { text: "-1s", want: 'duration "-1s" must not be negative' },
    // units must go largest first
    { text: "1s1m", want: 'duration "1s1m" must be a Prometheus duration' },
    // each unit at most once
    { text: "1m1m", want: 'duration "1m1m" must be a Prometheus duration' },
    // no unit called x
    { text: "5x", want: 'duration "5x" must be a Prometheus duration' },
    // no spaces
    { text: "1m 30s", want: 'duration "1m 30s" must be a Prometheus duration' },
    // upper-case units are not units
    { text: "5S", want: 'duration "5S" must be a Prometheus duration' },
    // 10^20 years is far beyond 2^53 ms
    { text: "100000000000000000000y", want: "is too long" },
  ];
  it.each(bad)("$text is refused", ({ text, want }) => {
    expect(() => parsePromDuration(text)).toThrow(DurationError);
    expect(() => parsePromDuration(text)).toThrow(want);
  });

  it("says what is allowed", () => {
    expect(() => parsePromDuration("soon")).toThrow('(ms, s, m, h, d, w, y), largest unit first, e.g. "30s", "1m30s"');
  });
});

describe("formatPromDuration", () => {
  const cases: { ms: number; want: string }[] = [
    // zero is "0s", as Prometheus prints it
    { ms: 0, want: "0s" },
    // below a second: ms
    { ms: 500, want: "500ms" },
    // 3000 = 3 s
    { ms: 3000, want: "3s" },
    // 90 000 = 1 min + 30 s
    { ms: 90_000, want: "1m30s" },
    // 3 600 000 = 1 h, zero minutes and seconds left out
    { ms: 3_600_000, want: "1h" },
    // 86 400 000 = 1 d (Prometheus prints days, not 24h)
    { ms: 86_400_000, want: "1d" },
    // 1d + 1h + 1m + 1s + 1ms = 90 061 001
    { ms: 90_061_001, want: "1d1h1m1s1ms" },
    // 14 days = 2 weeks
    { ms: 1_209_600_000, want: "2w" },
    // 366 days = 1 y + 1 d
    { ms: 366 * 86_400_000, want: "1y1d" },
  ];
  it.each(cases)("$ms ms -> $want", ({ ms, want }) => {
    expect(formatPromDuration(ms)).toBe(want);
  });

  it.each([-1, 1.5, NaN, Infinity])("refuses %s", (ms) => {
    // only whole, non-negative milliseconds are durations
    expect(() => formatPromDuration(ms)).toThrow(RangeError);
  });

  it("round-trips every whole number of ms", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ms) => parsePromDuration(formatPromDuration(ms)) === ms),
    );
    // and small values, where every unit boundary lies, more densely
    fc.assert(fc.property(fc.nat({ max: 10 * 86_400_000 }), (ms) => parsePromDuration(formatPromDuration(ms)) === ms));
  });
});
