export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the agent reports what happens; one call is one line. */
export interface AgentLogger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Shown as `[agent <name>]` at the start of every line. */
  name: string;
  level?: LogLevel;
  /** Receives each finished line without its newline (default: stderr). */
  write?: (line: string) => void;
  /** One JSON object per line ({time, level, node, msg}) instead of text, for log files and collectors. */
  json?: boolean;
}

/** True if `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** A logger that writes `[agent <name>] ...` lines at or above the given level. */
export function createLogger(opts: LoggerOptions): AgentLogger {
  const threshold = LOG_LEVELS.indexOf(opts.level ?? "info");
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const prefix = `[agent ${opts.name}]`;
  const at = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) > threshold) return () => {};
    // Info is the normal story of the node; only the unusual levels get a tag, so lines stay short.
    const tag = level === "info" ? "" : ` ${level}:`;
    if (opts.json) {
      return (message: string) => write(JSON.stringify({ time: new Date().toISOString(), level, node: opts.name, msg: message }));
    }
    return (message: string) => write(`${prefix}${tag} ${message}`);
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** A logger that drops everything. */
export const silentLogger: AgentLogger = { error() {}, warn() {}, info() {}, debug() {} };
