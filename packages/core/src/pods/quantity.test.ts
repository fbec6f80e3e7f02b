import { describe, expect, it } from "vitest";
import { formatCpuQuantity, formatMemoryQuantity, parseCpu, parseMemory, QuantityError } from "./quantity.js";

describe("parseCpu", () => {
  const ok: { q: string | number; want: number }[] = [
    // "m" is thousandths of a core: 500m = 500 millicores
    { q: "500m", want: 500 },
    // a bare number is cores: 1 core = 1000m
    { q: "1", want: 1000 },
    // 0.5 cores = 500m
    { q: "0.5", want: 500 },
    // 2.25 cores = 2250m
    { q: "2.25", want: 2250 },
    // a JSON number is cores too: 1 -> 1000m
    { q: 1, want: 1000 },
    // 0.5 as a JSON number -> 500m
    { q: 0.5, want: 500 },
    // zero is allowed (a container may request nothing)
    { q: "0", want: 0 },
    // Kubernetes' grammar allows ".5" = 0.5 cores = 500m
    { q: ".5", want: 500 },
    // and "2." = 2 cores = 2000m
    { q: "2.", want: 2000 },
    // an explicit "+" is part of the grammar: +1 = 1000m
    { q: "+1", want: 1000 },
    // MilliValue rounds up: 1.5m -> 2m
    { q: "1.5m", want: 2 },
    // 0.0001 cores = 0.1m -> rounds up to 1m
    { q: "0.0001", want: 1 },
    // 100u = 0.1m -> 1m
    { q: "100u", want: 1 },
    // 1500000n = 1.5m -> 2m
    { q: "1500000n", want: 2 },
    // 2e-3 cores = 2m exactly: no rounding
    { q: "2e-3", want: 2 },
    // 1e3 cores = 1000 cores = 1,000,000m
    { q: "1e3", want: 1_000_000 },
    // 1k = 1000 cores
    { q: "1k", want: 1_000_000 },
    // exact decimal arithmetic: 0.1 + 0.2 style floats never appear; 0.3 cores = 300m
    { q: "0.3", want: 300 },
    // "-0" is zero, not negative
    { q: "-0", want: 0 },
  ];
  it.each(ok)("$q -> $want", ({ q, want }) => {
    expect(parseCpu(q)).toBe(want);
  });

  const bad: { q: string | number; want: string }[] = [
    // empty: nothing to read
    { q: "", want: 'CPU quantity "" must be a number of cores ("1", "0.5", "2.25") or of millicores ("500m")' },
    // negative CPU makes no sense for a request or limit
    { q: "-1", want: 'CPU quantity "-1" must not be negative' },
    // a negative JSON number
    { q: -0.5, want: 'CPU quantity "-0.5" must not be negative' },
    // a unit Kubernetes does not know
    { q: "1 core", want: "must be a number of cores" },
    // spaces are not part of the grammar
    { q: " 1", want: "must be a number of cores" },
    // two dots
    { q: "1.2.3", want: "must be a number of cores" },
    // "M" is a suffix, "MB" is not
    { q: "1MB", want: "must be a number of cores" },
    // NaN prints as "NaN"
    { q: Number.NaN, want: 'CPU quantity "NaN" must be a number' },
    // Infinity prints as "Infinity"
    { q: Number.POSITIVE_INFINITY, want: 'CPU quantity "Infinity" must be a number' },
    // 1e20 cores = 1e23m, past Number.MAX_SAFE_INTEGER
    { q: "1e20", want: 'CPU quantity "1e20" is too large' },
  ];
  it.each(bad)("$q is rejected", ({ q, want }) => {
    expect(() => parseCpu(q)).toThrow(want);
  });

  it("throws a QuantityError carrying the quantity and the rule without it", () => {
    const err = (() => {
      try {
        parseCpu("lots");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(QuantityError);
    expect(err).toMatchObject({ name: "QuantityError", quantity: "lots" });
    expect((err as QuantityError).detail).toMatch(/^must be a number of cores/);
  });
});

describe("parseMemory", () => {
  const ok: { q: string | number; want: number }[] = [
    // 256 * 2^20 bytes = 256 MiB
    { q: "256Mi", want: 256 },
    // 1 * 2^30 bytes = 1024 MiB
    { q: "1Gi", want: 1024 },
    // 10^9 bytes / 1048576 = 953.67 -> rounds up to 954
    { q: "1G", want: 954 },
    // 128974848 bytes = 123 * 1048576 exactly
    { q: "128974848", want: 123 },
    // 129e6 bytes = 129,000,000 / 1048576 = 123.02 -> 124
    { q: "129e6", want: 124 },
    // 123M = 123,000,000 bytes / 1048576 = 117.30 -> 118
    { q: "123M", want: 118 },
    // 1Ki = 1024 bytes, a fraction of a MiB -> 1
    { q: "1Ki", want: 1 },
    // 1Ti = 2^40 bytes = 2^20 MiB
    { q: "1Ti", want: 1_048_576 },
    // zero
    { q: "0", want: 0 },
    // 1 byte still occupies a whole MiB
    { q: "1", want: 1 },
    // 1.5Gi = 1536 MiB
    { q: "1.5Gi", want: 1536 },
    // a JSON number is bytes: 1048576 = 1 MiB
    { q: 1048576, want: 1 },
    // 0.5 bytes -> 1 byte -> 1 MiB (Value() rounds up)
    { q: "0.5", want: 1 },
    // 1k = 1000 bytes -> 1 MiB
    { q: "1k", want: 1 },
    // 1E = 10^18 bytes / 2^20 = 953674316406.25 -> 953674316407
    { q: "1E", want: 953_674_316_407 },
    // "1E3" is an exponent (1000 bytes), not exa: -> 1 MiB
    { q: "1E3", want: 1 },
  ];
  it.each(ok)("$q -> $want MiB", ({ q, want }) => {
    expect(parseMemory(q)).toBe(want);
  });

  const bad: { q: string | number; want: string }[] = [
    // the common typo: 64m is 0.064 bytes in Kubernetes
    { q: "64m", want: 'memory quantity "64m" uses "m", a fraction of a byte; did you mean "Mi" (mebibytes) or "M" (megabytes)?' },
    // micro and nano are fractions of a byte as well
    { q: "5u", want: 'uses "u"' },
    // negative memory
    { q: "-1Mi", want: 'memory quantity "-1Mi" must not be negative' },
    // "MB" is not a Kubernetes suffix
    { q: "256MB", want: 'memory quantity "256MB" must be a number of bytes ("134217728", "129e6") or a number with a suffix' },
    // lowercase "mi" is not a suffix either
    { q: "256mi", want: "must be a number of bytes" },
    // empty
    { q: "", want: 'memory quantity "" must be a number of bytes' },
    // 1e40 bytes is past Number.MAX_SAFE_INTEGER MiB
    { q: "1e40", want: "is too large" },
  ];
  it.each(bad)("$q is rejected", ({ q, want }) => {
    expect(() => parseMemory(q)).toThrow(want);
  });
});

describe("formatCpuQuantity", () => {
  const cases: { milli: number; want: string }[] = [
    // below one core: millicores
    { milli: 500, want: "500m" },
    // 1000m = 1 core
    { milli: 1000, want: "1" },
    // 1500m = 1.5 cores
    { milli: 1500, want: "1.5" },
    // 2250m = 2.25 cores
    { milli: 2250, want: "2.25" },
    // zero has no unit
    { milli: 0, want: "0" },
    // 1m stays in millicores
    { milli: 1, want: "1m" },
  ];
  it.each(cases)("$milli -> $want", ({ milli, want }) => {
    expect(formatCpuQuantity(milli)).toBe(want);
    // what is formatted reads back to the same millicores
    expect(parseCpu(want)).toBe(milli);
  });

  it("refuses fractions and negatives (millicores are whole)", () => {
    expect(() => formatCpuQuantity(1.5)).toThrow(RangeError);
    expect(() => formatCpuQuantity(-1)).toThrow(RangeError);
  });
});

describe("formatMemoryQuantity", () => {
  const cases: { mib: number; want: string }[] = [
    // not a multiple of 1024: MiB
    { mib: 256, want: "256Mi" },
    // 1024 MiB = 1 GiB
    { mib: 1024, want: "1Gi" },
    // 1536 is not a whole GiB: stays in MiB
    { mib: 1536, want: "1536Mi" },
    // 2048 MiB = 2 GiB
    { mib: 2048, want: "2Gi" },
    // 1024 * 1024 MiB = 1 TiB
    { mib: 1_048_576, want: "1Ti" },
    // zero
    { mib: 0, want: "0" },
  ];
  it.each(cases)("$mib -> $want", ({ mib, want }) => {
    expect(formatMemoryQuantity(mib)).toBe(want);
    expect(parseMemory(want)).toBe(mib);
  });

  it("refuses fractions and negatives", () => {
    expect(() => formatMemoryQuantity(0.5)).toThrow(RangeError);
    expect(() => formatMemoryQuantity(-1)).toThrow(RangeError);
  });
});
