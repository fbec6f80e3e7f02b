// Validation errors worded as Kubernetes' field.ErrorList prints them ("<path>: Required value"), and the
// strict reading (kubectl --validate=strict) that turns every field Kube-9 does not implement into an error
// instead of silently ignoring it.

/** One problem in a manifest: `field` is the Kubernetes-style path, `message` the whole line Kubernetes would print. */
export interface FieldError {
  field: string;
  message: string;
}

/** Prints a value as Kubernetes does in "Invalid value: ...": strings quoted, numbers and booleans bare. */
function show(value: unknown): string {
  if (value === undefined) return "null";
  return JSON.stringify(value) ?? String(value);
}

/** Joins a path and a key: "" + "spec" = "spec", "spec" + "containers" = "spec.containers". */
export function child(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Collects every error of one manifest, so the user sees them all at once. */
export class FieldErrors {
  readonly list: FieldError[] = [];

  private add(field: string, message: string): void {
    this.list.push({ field, message: `${field}: ${message}` });
  }

  /** A missing field: "<field>: Required value[: detail]". */
  required(field: string, detail?: string): void {
    this.add(field, detail ? `Required value: ${detail}` : "Required value");
  }
  /** A field whose value breaks a rule: "<field>: Invalid value: <value>: <rule>". */
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, `Invalid value: ${show(value)}: ${detail}`);
  }
  /** A value outside a fixed set: "<field>: Unsupported value: <value>: supported values: ...". */
  unsupported(field: string, value: unknown, supported: readonly string[]): void {
    this.add(field, `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => show(s)).join(", ")}`);
  }
  /** A value that must be unique and is not: "<field>: Duplicate value: <value>". */
  duplicate(field: string, value: unknown): void {
    this.add(field, `Duplicate value: ${show(value)}`);
  }
  /** A field that may not be set: "<field>: Forbidden: <why>". */
  forbidden(field: string, detail: string): void {
    this.add(field, `Forbidden: ${detail}`);
  }
  /** A list or map over its size limit: "<field>: Too many: <n>: must have at most <max> items". */
  tooMany(field: string, actual: number, max: number): void {
    this.add(field, `Too many: ${actual}: must have at most ${max} items`);
  }
  /** kubectl's strict decoding names the whole path and has no "field:" prefix. */
  unknown(field: string): void {
    this.list.push({ field, message: `unknown field ${show(field)}` });
  }

  /** A plain object whose keys are all in `known` (others are reported), or undefined (reported) if not an object. */
  object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.invalid(path === "" ? "<root>" : path, value, "must be an object");
      return undefined;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!known.includes(key)) this.unknown(child(path, key));
    return record;
  }

  /** A list, or undefined (reported when present but not a list). */
  array(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.invalid(path, value, "must be a list");
    return undefined;
  }

  /** A string, or undefined (reported when present but not a string, or when required and absent or empty). */
  string(value: unknown, path: string, required = false): string | undefined {
    if (typeof value === "string" && (value !== "" || !required)) return value;
    if (value === undefined || value === null || value === "") {
      if (required) this.required(path);
      return undefined;
    }
    this.invalid(path, value, "must be a string");
    return undefined;
  }

  /** A list of strings (absent = []), each element checked. */
  strings(value: unknown, path: string): string[] {
    const list = this.array(value, path) ?? [];
    const out: string[] = [];
    list.forEach((item, i) => {
      if (typeof item === "string") out.push(item);
      else this.invalid(`${path}[${i}]`, item, "must be a string");
    });
    return out;
  }

  /** A map of string to string (absent = {}), each value checked; `checkKey`/`checkValue` return a rule or undefined. */
  stringMap(
    value: unknown,
    path: string,
    checkKey?: (key: string) => string | undefined,
    checkValue?: (value: string) => string | undefined,
  ): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      this.invalid(path, value, "must be an object of string values");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const at = `${path}[${key}]`;
      const keyRule = checkKey?.(key);
      if (keyRule) this.invalid(path, key, keyRule);
      if (typeof item !== "string") {
        this.invalid(at, item, "must be a string");
        continue;
      }
      const valueRule = checkValue?.(item);
      if (valueRule) this.invalid(at, item, valueRule);
      if (!keyRule && !valueRule) out[key] = item;
    }
    return out;
  }

  /** A whole number >= min (absent = fallback), reported otherwise. */
  integer(value: unknown, path: string, min: number, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      this.invalid(path, value, "must be an integer");
      return fallback;
    }
    if (value < min) {
      this.invalid(path, value, `must be greater than or equal to ${min}`);
      return fallback;
    }
    return value;
  }

  /** One of `supported` (absent = fallback), reported otherwise. */
  oneOf<T extends string>(value: unknown, path: string, supported: readonly T[], fallback: T): T {
    if (value === undefined || value === null || value === "") return fallback;
    if ((supported as readonly unknown[]).includes(value)) return value as T;
    this.unsupported(path, value, supported);
    return fallback;
  }
}
