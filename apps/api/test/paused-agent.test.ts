// A paused (SIGSTOP) process agent must not stay stopped forever when its API dies abruptly: a stopped
// process cannot notice its IPC channel closing, so nothing else would ever end it.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

/** The process's state letter (R, S, T for stopped, Z), or undefined once it is gone. */
function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

describe("a paused process agent whose API is killed with -9", () => {
  it("is continued and exits instead of staying stopped forever", async () => {
    const host = spawn(resolve(here, "../../../node_modules/.bin/tsx"), [resolve(here, "fixtures/paused-agent-host.ts")], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    host.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!/^\d+\n/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const agentPid = Number(out.trim());
    expect(agentPid).toBeGreaterThan(0);
    try {
      expect(state(agentPid)).toBe("T");
      // tsx runs the host script in a child of its own: that child is the "API" to kill, abruptly.
      const inner = readFileSync(`/proc/${host.pid}/task/${host.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      for (const pid of inner) process.kill(pid, "SIGKILL");
      host.kill("SIGKILL");
    } catch (err) {
      process.kill(agentPid, "SIGKILL");
      throw err;
    }
    const gone = Date.now() + 20_000;
    while (state(agentPid) !== undefined && state(agentPid) !== "Z" && Date.now() < gone) await new Promise((r) => setTimeout(r, 200));
    const left = state(agentPid);
    if (left !== undefined && left !== "Z") process.kill(agentPid, "SIGKILL");
    expect(left === undefined || left === "Z", `agent ${agentPid} is still there in state ${left}`).toBe(true);
  }, 90_000);
});
