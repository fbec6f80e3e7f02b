import { defineConfig } from "vitest/config";

/**
 * Every package's vitest settings. The JSON report in .reports/<name>.json feeds the
 * "N passed, N failed" total that .ci/run prints.
 */
export function packageTestConfig(name: string, timeouts: { testMs?: number; hookMs?: number } = {}) {
  return defineConfig({
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      reporters: ["default", "json"],
      outputFile: { json: `../../.reports/${name}.json` },
      testTimeout: timeouts.testMs ?? 30_000,
      hookTimeout: timeouts.hookMs ?? 60_000,
    },
  });
}
