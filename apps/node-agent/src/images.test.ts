import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { imageName, resolveImage } from "./images.js";

const dir = mkdtempSync(join(tmpdir(), "kube9-images-"));
const BUSYBOX = join(dir, "busybox");
const WORKLOAD = join(dir, "workload.cjs");
writeFileSync(BUSYBOX, "");
writeFileSync(WORKLOAD, "");
const env = { KUBE9_BUSYBOX: BUSYBOX, KUBE9_WORKLOAD: WORKLOAD };
const node = process.execPath;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("imageName", () => {
  it.each([
    ["busybox", "busybox"],
    ["busybox:1.36", "busybox"],
    ["busybox:latest", "busybox"],
    ["docker.io/library/busybox:1.36", "busybox"],
    ["busybox@sha256:abcd", "busybox"],
    ["kube9/workload:0.1.0", "kube9/workload"],
    ["localhost:5000/nginx", "localhost:5000/nginx"],
  ])("%s -> %s", (image, name) => expect(imageName(image)).toBe(name));
});

describe("resolveImage", () => {
  it.each<[string, string[], string[], string[]]>([
    ["busybox", [], [], [BUSYBOX, "sh"]],
    ["busybox:1.36", ["sh", "-c", "echo hi"], [], [BUSYBOX, "sh", "-c", "echo hi"]],
    ["busybox:latest", ["sleep"], ["3600"], [BUSYBOX, "sleep", "3600"]],
    ["busybox", [], ["httpd", "-f", "-p", "8080"], [BUSYBOX, "httpd", "-f", "-p", "8080"]],
    ["busybox", ["/bin/sh", "-c"], ["date"], [BUSYBOX, "/bin/sh", "-c", "date"]],
    ["kube9/workload", [], [], [node, WORKLOAD, "idle"]],
    ["kube9/workload", [], ["cpu", "--millicores", "500"], [node, WORKLOAD, "cpu", "--millicores", "500"]],
    ["kube9/workload", ["workload"], ["http", "--port", "8080"], [node, WORKLOAD, "http", "--port", "8080"]],
    ["kube9/workload:latest", ["/workload", "exit"], ["--code", "3"], [node, WORKLOAD, "exit", "--code", "3"]],
    ["kube9/workload", ["memory", "--mib", "64"], [], [node, WORKLOAD, "memory", "--mib", "64"]],
    ["kube9/workload", ["workload"], [], [node, WORKLOAD]],
  ])("%s command=%j args=%j", (image, command, args, argv) => {
    const resolved = resolveImage(image, command, args, env);
    expect(resolved).toEqual({ argv, description: expect.any(String) });
  });

  it.each([
    ["nginx", 'image "nginx" is not built in; images on this node: busybox, kube9/workload'],
    ["nginx:1.27", 'image "nginx:1.27" is not built in; images on this node: busybox, kube9/workload'],
    ["kube9/workloads", 'image "kube9/workloads" is not built in; images on this node: busybox, kube9/workload'],
    ["", 'image "" is not built in; images on this node: busybox, kube9/workload'],
  ])("%j is not built in", (image, error) => {
    expect(resolveImage(image, [], [], env)).toEqual({ error });
  });

  it("names the missing binary when the environment points nowhere", () => {
    const missing = { KUBE9_BUSYBOX: join(dir, "nope"), KUBE9_WORKLOAD: join(dir, "nope.cjs") };
    expect(resolveImage("busybox", [], [], missing)).toEqual({ error: expect.stringContaining(`KUBE9_BUSYBOX=${join(dir, "nope")} does not exist`) });
    expect(resolveImage("kube9/workload", [], [], missing)).toEqual({ error: expect.stringContaining("KUBE9_WORKLOAD=") });
  });

  it("finds the workload bundle from the workspace package without KUBE9_WORKLOAD", () => {
    const resolved = resolveImage("kube9/workload", [], ["exit", "--code", "0"], {});
    expect(resolved).toEqual({ argv: [node, expect.stringMatching(/workload[/\\]dist[/\\]workload\.cjs$/), "exit", "--code", "0"], description: expect.any(String) });
  });

  it("describes what it runs", () => {
    expect(resolveImage("busybox", ["sleep", "5"], [], env)).toEqual({ argv: [BUSYBOX, "sleep", "5"], description: `busybox sleep 5 (via ${BUSYBOX})` });
  });
});
