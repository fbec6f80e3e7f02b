/** Log levels in increasing verbosity. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/** A line logger: readable text on a terminal, JSON lines otherwise. */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; json?: boolean } = {}): Logger {
  const max = LOG_LEVELS.indexOf(opts.level ?? "info");
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const json = opts.json ?? !process.stderr.isTTY;
  const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) > max) return;
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      write(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} ${msg}${extra}`);
    }
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
