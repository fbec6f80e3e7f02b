import { describe, expect, it } from "vitest";
import { createLogger, envLogLevel, prettyLine } from "../src/logger.js";

describe("API logger (pino)", () => {
  it("writes JSON lines with time, level, msg and fields", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", json: true, write: (l) => lines.push(l) });
    log.info("node added", { node: "n1", cpu: 2 });
    log.debug("hidden");
    log.error("boom");
    expect(lines).toHaveLength(2);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: "info", msg: "node added", node: "n1", cpu: 2 });
    expect(new Date(rec.time as string).toString()).not.toBe("Invalid Date");
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "error", msg: "boom" });
  });

  it("is readable on a terminal: clock, level, message, fields", () => {
    const lines: string[] = [];
    createLogger({ level: "debug", json: false, write: (l) => lines.push(l) }).warn("slow", { ms: 12 });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} warn  slow \{"ms":12\}$/);
    expect(prettyLine('{"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"hi"}')).toBe("03:04:05.678 info  hi");
  });

  it("takes its level from KUBE9_LOG_LEVEL when none is given", () => {
    expect(envLogLevel({ KUBE9_LOG_LEVEL: "debug" })).toBe("debug");
    expect(envLogLevel({ KUBE9_LOG_LEVEL: "loud" })).toBeUndefined();
    const old = process.env.KUBE9_LOG_LEVEL;
    process.env.KUBE9_LOG_LEVEL = "error";
    try {
      const lines: string[] = [];
      const log = createLogger({ json: true, write: (l) => lines.push(l) });
      log.warn("dropped");
      log.error("kept");
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["kept"]);
    } finally {
      if (old === undefined) delete process.env.KUBE9_LOG_LEVEL;
      else process.env.KUBE9_LOG_LEVEL = old;
    }
  });
});
