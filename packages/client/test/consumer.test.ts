import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
// typescript 7 exports no subpaths; find its bin next to package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");

/** Type-checks one fixture as another project would (strict, NodeNext) and returns tsc's output. */
function typecheck(fixture: string): { code: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "kube9-consumer-"));
  const config = join(dir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: true, types: [] },
      files: [join(here, "fixtures", fixture)],
    }),
  );
  const r = spawnSync(process.execPath, [tsc, "-p", config], { encoding: "utf8", cwd: here });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("a TypeScript project consuming @kube9/client", () => {
  it("compiles against the typed procedures", () => {
    const r = typecheck("consumer-ok.ts");
    expect(r.output).toBe("");
    expect(r.code).toBe(0);
  }, 60_000);

  it("is told at compile time about wrong inputs and unknown procedures", () => {
    const r = typecheck("consumer-bad.ts");
    expect(r.code).not.toBe(0);
    // One error per wrong line: a boolean cpu (numbers and quantity strings are fine), unknown algorithm, unknown procedure, wrong output type.
    for (const line of [7, 8, 9, 10]) expect(r.output).toMatch(new RegExp(`consumer-bad\\.ts\\(${line},`));
  }, 60_000);
});
