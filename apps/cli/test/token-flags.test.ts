// A token on the command line is visible to every user of the machine in `ps`: the CLI also reads
// it from a file (--token-file) or from standard input (--token -).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTokenFlags } from "../src/config.js";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

describe("--token-file and --token -", () => {
  it("read the token, trimmed; refuse empty input, spaces, and both flags at once", () => {
    const dir = mkdtempSync(join(tmpdir(), "kube9-token-flags-"));
    try {
      writeFileSync(join(dir, "t"), "k9a.abc\n");
      expect(readTokenFlags({ tokenFile: join(dir, "t") })).toBe("k9a.abc");
      expect(readTokenFlags({ token: "-" }, () => "  k9a.def\n")).toBe("k9a.def");
      expect(readTokenFlags({ token: "k9a.plain" })).toBeUndefined();
      expect(readTokenFlags({})).toBeUndefined();
      expect(() => readTokenFlags({ token: "-" }, () => "\n")).toThrow("--token - (standard input) gave an empty token");
      expect(() => readTokenFlags({ token: "-" }, () => "a b")).toThrow("must hold only the token");
      expect(() => readTokenFlags({ tokenFile: join(dir, "missing") })).toThrow(`cannot read --token-file ${join(dir, "missing")}: ENOENT`);
      expect(() => readTokenFlags({ tokenFile: join(dir, "t"), token: "x" })).toThrow("use --token or --token-file, not both");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("against an API", () => {
    let home: string;
    let api: RunningControlPlane;
    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), "kube9-cli-token-flags-"));
      api = await startControlPlane({ port: 0, home: join(home, "api"), runtime: "process", logLevel: "error", log: () => {} });
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      rmSync(home, { recursive: true, force: true });
    });

    function kube9(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, "cli"), NO_COLOR: "1", KUBE9_URL: api.url };
      for (const k of ["DATABASE_URL", "KUBE9_TOKEN"]) delete env[k];
      return new Promise((done, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { env, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        if (stdin !== undefined) child.stdin!.end(stdin);
        child.on("error", reject);
        child.on("close", (code) => done({ code, stdout, stderr }));
      });
    }

    it("authenticate as --token does, without the token in the command line", async () => {
      const file = join(home, "admin-token");
      writeFileSync(file, `${api.token}\n`, { mode: 0o600 });
      const fromFile = await kube9(["--token-file", file, "cluster", "algorithm"]);
      expect(fromFile.stderr).toBe("");
      expect(fromFile.stdout).toBe("best-fit\n");
      const fromStdin = await kube9(["cluster", "algorithm", "--token", "-"], `${api.token}\n`);
      expect(fromStdin.stderr).toBe("");
      expect(fromStdin.stdout).toBe("best-fit\n");
      const wrong = await kube9(["--token", "-", "cluster", "algorithm"], "k9a.not-the-token\n");
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/rejected the token given with --token/);
    }, 60_000);
  });
});
