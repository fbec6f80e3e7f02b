// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), read exactly with BigInt so that
// "0.1" + rounding never meets binary floating point. Grammar, as in Kubernetes:
//   <quantity> ::= <sign><number><suffix>, <number> ::= digits | digits.digits | digits. | .digits
//   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | "" | k | M | G | T | P | E | e<signed digits> | E<signed digits>
// Rounding follows Kubernetes' ScaledValue, which rounds UP: the kubelet reads CPU with MilliValue(), so
// "1.5m" runs as 2m; memory is whole bytes (Value()), and Kube-9 books whole MiB, rounded up again.

/** A quantity that is not a Kubernetes quantity, or not one Kube-9 can use; `detail` omits the quantity itself. */
export class QuantityError extends Error {
  override name = "QuantityError";
  constructor(
    readonly quantity: string,
    readonly detail: string,
    what: "CPU" | "memory",
  ) {
    super(`${what} quantity ${JSON.stringify(quantity)} ${detail}`);
  }
}

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/;
const BINARY_POWERS: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
// Beyond 10^±40 nothing Kube-9 counts changes: larger is rejected as too large, smaller rounds up to one unit.
const EXPONENT_CLAMP = 40;
const MIB = 1024n * 1024n;

const CPU_RULE = 'must be a number of cores ("1", "0.5", "2.25") or of millicores ("500m")';
const MEMORY_RULE =
  'must be a number of bytes ("134217728", "129e6") or a number with a suffix: Ki, Mi, Gi, Ti, Pi, Ei ' +
  '(powers of 1024, e.g. "256Mi") or k, M, G, T, P, E (powers of 1000, e.g. "123M")';

/** An exact non-negative rational num/den, or the reason it is not one. */
type Exact = { num: bigint; den: bigint; suffix: string } | { problem: "syntax" | "negative" };

function readExact(q: string): Exact {
  const m = QUANTITY.exec(q);
  if (!m) return { problem: "syntax" };
  const [, sign, number = "", suffix = ""] = m;
  const [whole = "", fraction = ""] = number.split(".");
  let num = BigInt(whole + fraction || "0");
  let den = 10n ** BigInt(fraction.length);
  if (sign === "-" && num !== 0n) return { problem: "negative" };
  const binary = BINARY_POWERS[suffix];
  if (binary !== undefined) {
    num *= 1024n ** BigInt(binary);
  } else {
    const raw = /^[eE][+-]?\d/.test(suffix) ? Number(suffix.slice(1)) : (DECIMAL_EXPONENTS[suffix] ?? 0);
    const exponent = Math.max(-EXPONENT_CLAMP, Math.min(EXPONENT_CLAMP, raw));
    if (exponent >= 0) num *= 10n ** BigInt(exponent);
    else den *= 10n ** BigInt(-exponent);
  }
  return { num, den, suffix };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  return (num + den - 1n) / den;
}

function asText(q: string | number): string {
  return typeof q === "number" ? String(q) : q;
}

function toSafeNumber(value: bigint, q: string, what: "CPU" | "memory"): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new QuantityError(q, "is too large", what);
  return Number(value);
}

function exactOrThrow(q: string | number, what: "CPU" | "memory", rule: string): { num: bigint; den: bigint; suffix: string } {
  const text = asText(q);
  // A number that is not finite (NaN, Infinity) prints as a word and so fails the grammar below.
  const exact = readExact(text);
  if ("problem" in exact) {
    throw new QuantityError(text, exact.problem === "negative" ? "must not be negative" : rule, what);
  }
  return exact;
}

/** Reads a CPU quantity ("500m", "0.5", 2) as millicores, rounding a fraction of a millicore up (as the kubelet does). */
export function parseCpu(q: string | number): number {
  const { num, den } = exactOrThrow(q, "CPU", CPU_RULE);
  return toSafeNumber(ceilDiv(num * 1000n, den), asText(q), "CPU");
}

/** Reads a memory quantity ("256Mi", "1G", 129e6) as MiB, rounding partial bytes and then partial MiB up. */
export function parseMemory(q: string | number): number {
  const text = asText(q);
  const { num, den, suffix } = exactOrThrow(q, "memory", MEMORY_RULE);
  // Kubernetes accepts "64m" (0.064 bytes); it is nearly always a typo for 64Mi, so Kube-9 refuses it.
  if (suffix === "m" || suffix === "u" || suffix === "n") {
    throw new QuantityError(
      text,
      `uses "${suffix}", a fraction of a byte; did you mean "Mi" (mebibytes) or "M" (megabytes)?`,
      "memory",
    );
  }
  // ceil(ceil(x) / 2^20) equals ceil(x / 2^20) for whole-number divisors, so one division rounds both steps.
  return toSafeNumber(ceilDiv(num, den * MIB), text, "memory");
}

function assertWhole(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number >= 0, got ${n}`);
}

// Named apart from the scheduler's formatCpu/formatMemory ("2000m", "512Mi"), which print one unit for messages.
/** Formats millicores as Kubernetes users write them: "500m" below one core, "1", "1.5" from one core up. */
export function formatCpuQuantity(milli: number): string {
  assertWhole(milli, "millicores");
  if (milli < 1000 && milli !== 0) return `${milli}m`;
  return String(milli / 1000);
}

/** Formats MiB with the largest binary suffix that divides it exactly: "256Mi", "1Gi", "2Ti". */
export function formatMemoryQuantity(mib: number): string {
  assertWhole(mib, "MiB");
  if (mib === 0) return "0";
  if (mib % (1024 * 1024) === 0) return `${mib / (1024 * 1024)}Ti`;
  if (mib % 1024 === 0) return `${mib / 1024}Gi`;
  return `${mib}Mi`;
}
