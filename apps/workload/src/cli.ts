/** The workload's modes and flags: parsing the command line into a checked request, or a one-line error. */

/** How a flag's value is read and bounded. */
interface FlagSpec {
  kind: "int" | "number" | "string";
  min?: number;
  max?: number;
  required: boolean;
  default?: number | string;
  /** What the value means, shown in --help and in errors. */
  meaning: string;
}

interface ModeSpec {
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
}

/** Every mode with its flags; the help text and the errors are both derived from this table. */
export const MODES = {
  idle: { usage: "idle", summary: "sleep until SIGTERM", flags: {} },
  cpu: {
    usage: "cpu --millicores N",
    summary: "burn about N millicores (above 1000 on several threads) until SIGTERM",
    flags: { millicores: { kind: "int", min: 1, max: 64_000, required: true, meaning: "millicores to burn" } },
  },
  memory: {
    usage: "memory --mib N [--grow-mib-per-s R]",
    summary: "allocate and touch N MiB, then grow by R MiB every second without bound, until SIGTERM",
    flags: {
      mib: { kind: "int", min: 0, max: 1_048_576, required: true, meaning: "MiB to allocate at start" },
      "grow-mib-per-s": { kind: "int", min: 0, max: 65_536, required: false, default: 0, meaning: "MiB added every second" },
    },
  },
  http: {
    usage: "http --port P [--host H]",
    summary: "serve GET / (names the pod), GET /healthz (200 ok or 500), POST|GET /unhealthy and /healthy",
    flags: {
      port: { kind: "int", min: 1, max: 65_535, required: true, meaning: "TCP port to listen on" },
      host: { kind: "string", required: false, default: "0.0.0.0", meaning: "address to listen on" },
    },
  },
  crash: {
    usage: "crash --after S --exit-code C",
    summary: "run S seconds (fractions allowed), then exit with code C; SIGTERM exits with C at once",
    flags: {
      after: { kind: "number", min: 0, max: 31_536_000, required: true, meaning: "seconds before crashing" },
      "exit-code": { kind: "int", min: 0, max: 255, required: true, meaning: "exit code" },
    },
  },
  exit: {
    usage: "exit --code C",
    summary: "exit at once with code C",
    flags: { code: { kind: "int", min: 0, max: 255, required: true, meaning: "exit code" } },
  },
} satisfies Record<string, ModeSpec>;

export type ModeName = keyof typeof MODES;
export const MODE_NAMES = Object.keys(MODES) as ModeName[];

/** A parsed command line: the mode and its flag values (defaults filled in). */
export type Request =
  | { mode: "idle" }
  | { mode: "cpu"; millicores: number }
  | { mode: "memory"; mib: number; growMibPerS: number }
  | { mode: "http"; port: number; host: string }
  | { mode: "crash"; afterS: number; exitCode: number }
  | { mode: "exit"; code: number };

export type ParseResult = { ok: true; request: Request } | { ok: false; help: true } | { ok: false; error: string };

/** The text printed by --help. */
export function helpText(): string {
  const lines = ["usage: workload <mode> [flags]", "", "modes:"];
  const width = Math.max(...MODE_NAMES.map((m) => MODES[m].usage.length));
  for (const name of MODE_NAMES) lines.push(`  ${MODES[name].usage.padEnd(width)}  ${MODES[name].summary}`);
  lines.push("", "Every mode prints a start line; SIGTERM/SIGINT exit 0 (crash and exit keep their codes); bad flags exit 2.");
  return lines.join("\n");
}

function describe(spec: FlagSpec): string {
  const range = spec.kind === "string" ? "a non-empty string" : `${spec.kind === "int" ? "an integer" : "a number"} from ${spec.min} to ${spec.max}`;
  return `${range} (${spec.meaning})`;
}

function readValue(mode: string, name: string, spec: FlagSpec, raw: string): { value: number | string } | { error: string } {
  const bad = { error: `workload ${mode}: --${name} must be ${describe(spec)}, got "${raw}"` };
  if (spec.kind === "string") return raw.trim() === "" ? bad : { value: raw };
  // Number("") is 0 and Number("1e3") is 1000: only plain decimal text is taken.
  const pattern = spec.kind === "int" ? /^\d+$/ : /^\d+(\.\d+)?$|^\.\d+$/;
  if (!pattern.test(raw)) return bad;
  const value = Number(raw);
  if (value < (spec.min ?? -Infinity) || value > (spec.max ?? Infinity)) return bad;
  return { value };
}

/** Parses `<mode> [--flag value | --flag=value]...`; every error names the flag and what is allowed. */
export function parseCommand(argv: readonly string[]): ParseResult {
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return { ok: false, help: true };
  const [mode, ...rest] = argv;
  if (mode === undefined) return { ok: false, error: `workload: a mode is required; modes: ${MODE_NAMES.join(", ")} (see --help)` };
  if (!(MODE_NAMES as string[]).includes(mode)) {
    return { ok: false, error: `workload: unknown mode "${mode}"; modes: ${MODE_NAMES.join(", ")}` };
  }
  const specs: Record<string, FlagSpec> = MODES[mode as ModeName].flags;
  const allowed = Object.keys(specs).length ? Object.keys(specs).map((f) => `--${f}`).join(", ") : "none";
  const values: Record<string, number | string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) return { ok: false, error: `workload ${mode}: unexpected argument "${arg}"; flags allowed: ${allowed}` };
    const name = match[1] as string;
    const spec = specs[name];
    if (!spec) return { ok: false, error: `workload ${mode}: unknown flag --${name}; flags allowed: ${allowed}` };
    let raw = match[2];
    if (raw === undefined) {
      raw = rest[++i];
      if (raw === undefined) return { ok: false, error: `workload ${mode}: --${name} needs a value: ${describe(spec)}` };
    }
    if (name in values) return { ok: false, error: `workload ${mode}: --${name} is given twice` };
    const read = readValue(mode, name, spec, raw);
    if ("error" in read) return { ok: false, error: read.error };
    values[name] = read.value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (name in values) continue;
    if (spec.required) return { ok: false, error: `workload ${mode}: --${name} is required: ${describe(spec)}` };
    if (spec.default !== undefined) values[name] = spec.default;
  }
  return { ok: true, request: toRequest(mode as ModeName, values) };
}

function toRequest(mode: ModeName, v: Record<string, number | string>): Request {
  const num = (k: string) => v[k] as number;
  switch (mode) {
    case "idle":
      return { mode };
    case "cpu":
      return { mode, millicores: num("millicores") };
    case "memory":
      return { mode, mib: num("mib"), growMibPerS: num("grow-mib-per-s") };
    case "http":
      return { mode, port: num("port"), host: v.host as string };
    case "crash":
      return { mode, afterS: num("after"), exitCode: num("exit-code") };
    case "exit":
      return { mode, code: num("code") };
  }
}
