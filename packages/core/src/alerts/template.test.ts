import { describe, expect, it } from "vitest";
import { expandTemplate, formatGoFloat, humanize, humanizeDuration, humanizePercentage } from "./template.js";

describe("humanize (SI prefixes, 4 significant digits, as Prometheus)", () => {
  const cases: { v: number; want: string }[] = [
    // 1 234 567 / 1000² = 1.234567 -> 1.235M
    { v: 1_234_567, want: "1.235M" },
    // 2048 / 1000 = 2.048 -> 2.048k
    { v: 2048, want: "2.048k" },
    // 62 914 560 (60 MiB) / 1000² = 62.91456 -> 62.91M
    { v: 62_914_560, want: "62.91M" },
    // under 1000: no prefix, trailing zeros dropped
    { v: 93, want: "93" },
    { v: 1, want: "1" },
    // 999.99 rounds to 1000 at 4 digits, so it is 1k, not "1000"
    { v: 999.99, want: "1k" },
    // 524 288 000 / 1000² = 524.288 -> 524.3M
    { v: 524_288_000, want: "524.3M" },
    // 0.0005 × 1000² = 500 -> 500u
    { v: 0.0005, want: "500u" },
    // 0.25 × 1000 = 250 -> 250m
    { v: 0.25, want: "250m" },
    // 0.99996 rounds to 1 at 4 digits: no prefix
    { v: 0.99996, want: "1" },
    // negative keeps its sign: 2048 -> -2.048k
    { v: -2048, want: "-2.048k" },
    // zero and the non-finite as Go prints them
    { v: 0, want: "0" },
    { v: NaN, want: "NaN" },
    { v: Infinity, want: "+Inf" },
    { v: -Infinity, want: "-Inf" },
    // beyond Y (10^24) there is no prefix left: 10^30 / 10^24 = 10^6
    { v: 1e30, want: "1000000Y" },
  ];
  it.each(cases)("$v -> $want", ({ v, want }) => {
    expect(humanize(v)).toBe(want);
  });
});

describe("humanizePercentage (4 significant digits, as Prometheus)", () => {
  const cases: { v: number; want: string }[] = [
    // 0.934 × 100 = 93.4
    { v: 0.934, want: "93.4%" },
    // 1 × 100 = 100
    { v: 1, want: "100%" },
    // 0.12345 × 100 is 12.3450000000000006... in binary, just above the half -> 12.35 at 4 digits
    { v: 0.12345, want: "12.35%" },
    // 1.5 × 100 = 150
    { v: 1.5, want: "150%" },
    { v: 0, want: "0%" },
    { v: NaN, want: "NaN%" },
  ];
  it.each(cases)("$v -> $want", ({ v, want }) => {
    expect(humanizePercentage(v)).toBe(want);
  });
});

describe("humanizeDuration (seconds, as Prometheus)", () => {
  const cases: { v: number; want: string }[] = [
    // 65 s = 1 min 5 s
    { v: 65, want: "1m 5s" },
    // 90 061 s = 1 d (86 400) + 1 h (3600) + 1 min (60) + 1 s
    { v: 90_061, want: "1d 1h 1m 1s" },
    // exactly 1 h: the zero parts are still printed once a larger one is
    { v: 3600, want: "1h 0m 0s" },
    // under a minute: seconds with 4 significant digits
    { v: 5.5, want: "5.5s" },
    { v: 61.9, want: "1m 1s" },
    // under a second: 0.5 s × 1000 = 500 ms
    { v: 0.5, want: "500ms" },
    // 0.0001 s × 1000² = 100 us
    { v: 0.0001, want: "100us" },
    // negative: the sign in front
    { v: -65, want: "-1m 5s" },
    { v: 0, want: "0s" },
    { v: Infinity, want: "+Inf" },
  ];
  it.each(cases)("$v -> $want", ({ v, want }) => {
    expect(humanizeDuration(v)).toBe(want);
  });
});

describe("formatGoFloat ({{ $value }} as Go's %v prints it)", () => {
  const cases: { v: number; want: string }[] = [
    { v: 0.95, want: "0.95" },
    { v: 4, want: "4" },
    // 100 000 has exponent 5 < 6: plain
    { v: 100_000, want: "100000" },
    // 10^6 has exponent 6: Go switches to e-notation with a two-digit exponent
    { v: 1e6, want: "1e+06" },
    // 524 288 000 = 5.24288 × 10^8
    { v: 524_288_000, want: "5.24288e+08" },
    // 0.0001 has exponent -4: plain; 0.00001 has -5: e-notation
    { v: 0.0001, want: "0.0001" },
    { v: 0.00001, want: "1e-05" },
    { v: -1.5e-7, want: "-1.5e-07" },
    { v: 1e100, want: "1e+100" },
    { v: 0, want: "0" },
    { v: NaN, want: "NaN" },
    { v: -Infinity, want: "-Inf" },
  ];
  it.each(cases)("$v -> $want", ({ v, want }) => {
    expect(formatGoFloat(v)).toBe(want);
  });
});

describe("expandTemplate", () => {
  const labels = { node: "n1", namespace: "default", pod: "web", count: "2048", severity: "critical" };
  const cases: { name: string; text: string; value: number; want: string }[] = [
    // a text without actions is returned as is
    { name: "plain", text: "CPU is high", value: 1, want: "CPU is high" },
    // labels by name, with or without spaces inside the braces
    { name: "labels", text: "{{ $labels.namespace }}/{{$labels.pod}} on {{ $labels.node }}", value: 1, want: "default/web on n1" },
    // the value as Go prints a float
    { name: "value", text: "at {{ $value }}", value: 0.934, want: "at 0.934" },
    { name: "big value", text: "{{ $value }} bytes", value: 524_288_000, want: "5.24288e+08 bytes" },
    // the pipes: 0.934 -> 93.4%, 524 288 000 -> 524M, 65 s -> 1m 5s
    { name: "humanizePercentage", text: "{{ $value | humanizePercentage }}", value: 0.934, want: "93.4%" },
    { name: "humanize", text: "{{ $value | humanize }}B", value: 524_288_000, want: "524.3MB" },
    { name: "humanizeDuration", text: "waited {{ $value | humanizeDuration }}", value: 65, want: "waited 1m 5s" },
    // a numeric label can be piped too: "2048" -> 2.05k
    { name: "label pipe", text: "{{ $labels.count | humanize }}", value: 0, want: "2.048k" },
    // the dot forms Prometheus also accepts
    { name: "dot forms", text: "{{ .Labels.node }} {{ .Value | humanizePercentage }}", value: 0.5, want: "n1 50%" },
    // rule labels are visible too (the engine passes the alert's labels)
    { name: "severity", text: "[{{ $labels.severity }}]", value: 0, want: "[critical]" },
    // an absent label prints as Go prints an absent map key
    { name: "absent label", text: "{{ $labels.container }}", value: 0, want: "<no value>" },
    // a prototype key is an absent label, not Object's constructor
    { name: "prototype key", text: "{{ $labels.constructor }}", value: 0, want: "<no value>" },
    // unknown functions, pipes and variables stay literal, the rest still expands
    { name: "unknown function", text: '{{ printf "%.2f" $value }} on {{ $labels.node }}', value: 1, want: '{{ printf "%.2f" $value }} on n1' },
    { name: "unknown pipe", text: "{{ $value | humanize1024 }}", value: 1, want: "{{ $value | humanize1024 }}" },
    { name: "prototype pipe", text: "{{ $value | hasOwnProperty }}", value: 1, want: "{{ $value | hasOwnProperty }}" },
    { name: "unknown variable", text: "{{ $externalLabels.x }}", value: 1, want: "{{ $externalLabels.x }}" },
    // a non-numeric label piped into a humanizer: literal (Prometheus would fail the whole text)
    { name: "non-numeric pipe", text: "{{ $labels.node | humanize }}", value: 1, want: "{{ $labels.node | humanize }}" },
    // humanize's output is text, so a second humanize does not apply
    { name: "pipe chain", text: "{{ $value | humanize | humanize }}", value: 2048, want: "{{ $value | humanize | humanize }}" },
    // an unclosed action stays as written
    { name: "unclosed", text: "{{ $value", value: 1, want: "{{ $value" },
    // a stray "{{" does not swallow the action after it
    { name: "stray braces", text: "{{ {{ $value }}", value: 1, want: "{{ 1" },
    // Go's trim markers eat the whitespace on their side: "a  " + 1 + "  b" -> "a1b"
    { name: "trim markers", text: "a  {{- $value -}}  b", value: 1, want: "a1b" },
    // "{{-" without a space is not a trim marker in Go: here it is not a known action either
    { name: "not a marker", text: "a {{-$value}}", value: 1, want: "a {{-$value}}" },
    // an action left literal keeps the whitespace around it
    { name: "literal keeps space", text: "a  {{- nope -}}  b", value: 1, want: "a  {{- nope -}}  b" },
    // several lines
    { name: "multiline", text: "node {{ $labels.node }}\nvalue {{ $value }}\n", value: 2, want: "node n1\nvalue 2\n" },
  ];
  it.each(cases)("$name", ({ text, value, want }) => {
    expect(expandTemplate(text, labels, value)).toBe(want);
  });
});
