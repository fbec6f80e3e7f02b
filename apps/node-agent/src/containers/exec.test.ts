import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCgroupManager } from "./cgroups.js";
import { execInContainer } from "./exec.js";
import { startContainer } from "./process-container.js";

const BUSYBOX = "/bin/busybox";
const dir = mkdtempSync(join(tmpdir(), "k9-exec-"));
const manager = createCgroupManager({ nodeId: `exec-${process.pid}`, parent: "kube9-test" });
const NETNS = `k9t-${process.pid}`;
/** Only where this machine lets us make a network namespace (root with CAP_SYS_ADMIN). */
const netnsUsable = (() => {
  try {
    execFileSync("ip", ["netns", "add", NETNS], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

afterAll(() => {
  if (netnsUsable) execFileSync("ip", ["netns", "del", NETNS]);
  manager?.removeNodeDirs();
  rmSync(dir, { recursive: true, force: true });
});

async function output(argv: string[], container: Parameters<typeof execInContainer>[0]["container"]): Promise<string> {
  let out = "";
  const result = await execInContainer({ argv, container, onStdout: (c) => (out += c.toString()) });
  expect(result.exitCode).toBe(0);
  return out;
}

describe("execInContainer in a running container", () => {
  it.runIf(manager !== null)("joins the container's cgroup and sees its environment", async () => {
    const c = await startContainer({ id: "target", argv: [BUSYBOX, "sleep", "30"], env: { WHO: "target" }, logDir: dir, limits: { memoryMiB: 64 }, cgroups: manager });
    try {
      const out = await output([BUSYBOX, "sh", "-c", 'echo "$WHO"; cat /proc/self/cgroup'], c);
      expect(out).toContain("target\n");
      expect(out).toContain(`/kube9-test/exec-${process.pid}/target`);
    } finally {
      await c.kill();
    }
  });

  it.runIf(netnsUsable)("runs the container and its execs in the named network namespace", async () => {
    const c = await startContainer({ id: "netns", argv: [BUSYBOX, "sh", "-c", "ip -o link; sleep 30"], env: {}, logDir: dir, netns: NETNS, limits: {}, cgroups: null });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const links = c.log.read().join("\n");
      // A fresh namespace has only its loopback device.
      expect(links).toMatch(/^1: lo:/);
      expect(links).not.toMatch(/^2:/m);
      const viaExec = await output(["ip", "-o", "link"], c);
      expect(viaExec.trim().split("\n")).toHaveLength(1);
    } finally {
      await c.kill();
    }
  });
});
