import { defineConfig } from "vitest/config";

// The JSON report feeds the "N passed, N failed" total that .ci/run prints.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "../../.reports/web.json" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
