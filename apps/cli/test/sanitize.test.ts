// Strings that nodes report (component keys, pod statuses' reasons and messages, kubelet events) reach
// the user's terminal through `kube9 get`, `describe` and `events`. A node agent, or anyone holding its
// credential, must not be able to drive that terminal with escape sequences: they are shown as text.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sanitizeCell, sanitizeForTerminal } from "../src/output/sanitize.js";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const ESC = "\x1b";

describe("terminal escape sequences from nodes", () => {
  it("are shown as \\uXXXX text; newlines and tabs stay in blocks, not in cells", () => {
    expect(sanitizeForTerminal(`a${ESC}]0;pwned\x07b\nc\td\r\u202e`)).toBe("a\\u001b]0;pwned\\u0007b\nc\td\\u000d\\u202e");
    expect(sanitizeCell("a\nb\tc\x9b")).toBe("a\\u000ab\\u0009c\\u009b");
    expect(sanitizeForTerminal("plain text, ünïcode ✓")).toBe("plain text, ünïcode ✓");
  });

  describe("through the CLI", () => {
    let home: string;
    let api: RunningControlPlane;
    let admin: Kube9Client;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), "kube9-cli-escapes-"));
      api = await startControlPlane({ port: 0, home: join(home, "api"), runtime: "process", logLevel: "error", log: () => {} });
      admin = createKube9Client({ url: api.url, token: api.token });
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      rmSync(home, { recursive: true, force: true });
    });

    function kube9(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, "cli"), NO_COLOR: "1", KUBE9_URL: api.url, KUBE9_TOKEN: api.token };
      delete env.DATABASE_URL;
      return new Promise((done, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => done({ code, stdout, stderr }));
      });
    }

    it("get, describe and events print what a node reported without a single raw escape", async () => {
      const [joined] = (await admin.nodes.join.mutate({ nodes: [{ name: "esc-1", cpu: 2 }] })).nodes;
      const node = createKube9Client({ url: api.url, token: joined!.token });
      await node.agent.register.mutate({});
      const { pod } = await admin.pods.launch.mutate({ name: "esc-pod", cpu: 0.5 });
      expect(pod.nodeName).toBe("esc-1");
      const beat = {
        podIds: [pod.id],
        usage: { cpuMilli: 0, memoryMiB: 0 },
        // Retitle the window; clear the screen; blink; a right-to-left override.
        components: { [`kubelet${ESC}]0;pwned\x07`]: "Healthy" as const },
        podStatuses: [
          {
            podId: pod.id,
            phase: "Running" as const,
            containerStatuses: [],
            conditions: [],
            reason: `Evil${ESC}[2J`,
            message: `hi${ESC}[5mthere\u202eesrever`,
          },
        ],
        podEvents: [{ podId: pod.id, type: "Warning" as const, reason: `Probe${ESC}[31m`, message: `red${ESC}[0m text` }],
      };
      await node.agent.heartbeat.mutate(beat);
      // The second beat confirms what the first reported (reports are stored once they change).
      await node.agent.heartbeat.mutate({ ...beat, podStatuses: [], podEvents: [] });

      const outputs: Record<string, string> = {};
      for (const args of [["node", "get", "esc-1"], ["get", "pods"], ["get", "pods", "-o", "wide"], ["describe", "pod", "esc-pod"], ["events"], ["get", "pod", "esc-pod", "-o", "yaml"]]) {
        const r = await kube9(args);
        expect(r.code, `kube9 ${args.join(" ")}: ${r.stderr}`).toBe(0);
        outputs[args.join(" ")] = r.stdout + r.stderr;
      }
      for (const [args, out] of Object.entries(outputs)) {
        expect(out.includes(ESC), `kube9 ${args} printed a raw escape:\n${JSON.stringify(out)}`).toBe(false);
        expect(out.includes("\u202e"), `kube9 ${args} printed a raw bidi override`).toBe(false);
      }
      // What was reported is still there to read, as text.
      expect(outputs["node get esc-1"]).toContain("kubelet\\u001b]0;pwned\\u0007");
      expect(outputs["events"]).toContain("red\\u001b[0m text");
    }, 60_000);
  });
});
