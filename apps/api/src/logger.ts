import { pino } from "pino";

/** Log levels in increasing verbosity. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

const COLORS: Record<LogLevel, string> = { error: "\x1b[31m", warn: "\x1b[33m", info: "\x1b[36m", debug: "\x1b[90m" };

/** One pino JSON line as a short readable line: `12:34:56.789 info  message {"field":1}`. */
export function prettyLine(json: string, color = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, ...fields } = rec;
  const lvl = String(level) as LogLevel;
  const clock = typeof time === "string" ? time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const tag = color && COLORS[lvl] ? `${COLORS[lvl]}${lvl.padEnd(5)}\x1b[0m` : lvl.padEnd(5);
  const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  return `${clock} ${tag} ${String(msg ?? "")}${extra}`;
}

/** The level from KUBE9_LOG_LEVEL, if it names one. */
export function envLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel | undefined {
  const v = env.KUBE9_LOG_LEVEL;
  return (LOG_LEVELS as readonly string[]).includes(v ?? "") ? (v as LogLevel) : undefined;
}

/**
 * Structured logs through pino: JSON lines (time, level, msg, fields) when stderr is not a terminal,
 * short readable lines on a terminal. The level is opts.level, else KUBE9_LOG_LEVEL, else info.
 */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; json?: boolean } = {}): Logger {
  const tty = Boolean(process.stderr.isTTY);
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const json = opts.json ?? !tty;
  const color = !opts.write && tty;
  const destination = {
    write(chunk: string) {
      const line = chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk;
      write(json ? line : prettyLine(line, color));
    },
  };
  const p = pino(
    {
      level: opts.level ?? envLogLevel() ?? "info",
      base: undefined,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (fields && Object.keys(fields).length > 0) p[level](fields, msg);
    else p[level](msg);
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
