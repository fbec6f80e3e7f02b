import { afterEach, describe, expect, it } from "vitest";
import { podOf, processesOfPod, startRig, type KubeletRig } from "../../test/kubelet-helpers.js";

const rigs: KubeletRig[] = [];
const podNames: string[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  for (const name of podNames.splice(0)) expect(processesOfPod(name)).toEqual([]);
});

async function rigWith(...args: Parameters<typeof podOf>) {
  const r = await startRig();
  rigs.push(r);
  const pod = podOf(...args);
  podNames.push(pod.name);
  r.api.runPod(r.nodeId, pod);
  return { r, pod };
}

async function text(res: Response | Promise<Response>): Promise<[number, string]> {
  const done = await res;
  return [done.status, await done.text()];
}

describe("kubelet server", () => {
  it("serves logs (tail, timestamps, follow) and exec, only with the token", async () => {
    const { r, pod } = await rigWith("talker", [{ command: ["sh", "-c", "echo one; echo two; echo three >&2; exec sleep 30"] }]);
    await r.waitFor(pod.id, (s) => s.phase === "Running", "Running");
    const logs = `/pods/${pod.id}/containers/main/logs`;
    let body = "";
    const deadline = Date.now() + 5_000;
    while (!body.includes("three") && Date.now() < deadline) [, body] = await text(r.kubelet(logs));
    expect(body).toBe("one\ntwo\nthree\n");
    expect(await text(r.kubelet(`${logs}?tail=2`))).toEqual([200, "two\nthree\n"]);
    const [, stamped] = await text(r.kubelet(`${logs}?timestamps=1&tail=1`));
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z three\n$/);
    const [status, previous] = await text(r.kubelet(`${logs}?previous=1`));
    expect(status).toBe(400);
    expect(previous).toContain(`previous terminated container "main" in pod "${pod.name}" not found`);
    expect((await r.kubelet(`${logs}?tail=x`)).status).toBe(400);

    // follow: the existing lines arrive, and the stream stays open until the client leaves.
    const ac = new AbortController();
    const followed = await r.kubelet(`${logs}?follow=1`, { signal: ac.signal });
    expect(followed.headers.get("content-type")).toMatch(/^text\/plain/);
    const reader = followed.body!.getReader();
    let seen = "";
    while (!seen.includes("three\n")) seen += new TextDecoder().decode((await reader.read()).value);
    expect(seen).toBe("one\ntwo\nthree\n");
    ac.abort();
    await reader.read().catch(() => undefined);

    const exec = (command: unknown) =>
      r.kubelet(`/pods/${pod.id}/containers/main/exec`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ command }) });
    const res = await exec(["sh", "-c", 'echo "$POD_NAME $POD_NAMESPACE $HOSTNAME"; echo oops >&2; exit 3']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ exitCode: 3, stdout: `${pod.name} default ${pod.name}\n`, stderr: "oops\n" });
    // Commands are busybox applets, as in a busybox image.
    expect(await (await exec(["no-such-command"])).json()).toMatchObject({ exitCode: 127, stderr: expect.stringContaining("applet not found") });
    expect((await exec("ls")).status).toBe(400);

    const endpoint = r.api.nodes.get(r.nodeId)!.kubelet!;
    expect((await fetch(`${endpoint.url}${logs}`)).status).toBe(401);
    expect((await fetch(`${endpoint.url}${logs}`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(`${endpoint.url}/nothing`)).status).toBe(401);
    expect((await r.kubelet("/nothing")).status).toBe(404);
    expect((await r.kubelet(`/pods/${pod.id}/containers/other/logs`)).status).toBe(404);
    expect((await r.kubelet(`/pods/00000000-0000-4000-8000-000000000000/containers/main/logs`)).status).toBe(404);
    expect((await r.kubelet(logs, { method: "POST" })).status).toBe(405);
  });

  it("serves the previous run's log after a restart, and follow ends with the run", async () => {
    const { r, pod } = await rigWith("restarter", [{ command: ["sh", "-c", "echo run $$; sleep 0.5; exit 1"] }]);
    await r.waitFor(pod.id, (s) => s.containerStatuses[0]!.restartCount >= 1, "a restart", 10_000);
    const [status, previous] = await text(r.kubelet(`/pods/${pod.id}/containers/main/logs?previous=1`));
    expect(status).toBe(200);
    expect(previous).toMatch(/^run \d+\n$/);
    const [, current] = await text(r.kubelet(`/pods/${pod.id}/containers/main/logs`));
    expect(current).toMatch(/^run \d+\n$/);
    expect(current).not.toBe(previous);

    // A follow ends by itself when the container's run ends.
    const t0 = performance.now();
    const [, followed] = await text(r.kubelet(`/pods/${pod.id}/containers/main/logs?follow=1`));
    expect(followed).toMatch(/^run \d+\n$/);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe("kubelet server: POST /sync", () => {
  it("asks for a heartbeat now, only with the token and only by POST", async () => {
    const { startKubeletServer } = await import("./server.js");
    let asked = 0;
    const server = await startKubeletServer({ lookup: () => undefined, onSync: () => asked++ });
    try {
      const auth = { authorization: `Bearer ${server.token}` };
      expect((await fetch(`${server.url}/sync`, { method: "POST" })).status).toBe(401);
      expect((await fetch(`${server.url}/sync`, { headers: auth })).status).toBe(405);
      expect(asked).toBe(0);
      expect((await fetch(`${server.url}/sync`, { method: "POST", headers: auth })).status).toBe(204);
      expect(asked).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("kubelet server: POST /probe", () => {
  it("checks the request, says 409 without a pod network and 404 for a pod without a namespace here", async () => {
    const { startKubeletServer } = await import("./server.js");
    let unavailable: string | undefined = "KUBE9_POD_NETWORK=off";
    const server = await startKubeletServer({ lookup: () => undefined, probes: { unavailable: () => unavailable, netns: () => undefined } });
    try {
      const auth = { authorization: `Bearer ${server.token}` };
      const probe = (body: unknown, headers: Record<string, string> = auth) =>
        fetch(`${server.url}/probe`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
      const target = { ip: "10.244.0.2", port: 80, protocol: "TCP" };
      const good = { podId: "p1", targets: [target], timeoutMs: 500 };
      expect((await probe(good, {})).status).toBe(401);
      expect((await fetch(`${server.url}/probe`, { headers: auth })).status).toBe(405);
      // each field checked, with the field named
      const bad: [unknown, RegExp][] = [
        [{ ...good, podId: 7 }, /podId/],
        [{ ...good, targets: "10.0.0.1" }, /targets must be an array/],
        [{ ...good, targets: Array(1001).fill(target) }, /at most 1000 targets/],
        [{ ...good, timeoutMs: 49 }, /timeoutMs must be a whole number from 50 to 10000/],
        [{ ...good, timeoutMs: 10_001 }, /timeoutMs/],
        [{ ...good, timeoutMs: 100.5 }, /timeoutMs/],
        [{ ...good, targets: [{ ...target, ip: "example.com" }] }, /targets\[0\]\.ip must be an IPv4 or IPv6 address/],
        [{ ...good, targets: [target, { ...target, ip: "10.0.0.256" }] }, /targets\[1\]\.ip/],
        [{ ...good, targets: [{ ...target, port: 0 }] }, /targets\[0\]\.port must be a whole number from 1 to 65535/],
        [{ ...good, targets: [{ ...target, port: 65536 }] }, /port/],
        [{ ...good, targets: [{ ...target, protocol: "UDP" }] }, /protocol must be "TCP"/],
      ];
      for (const [body, message] of bad) {
        const res = await probe(body);
        expect([res.status, await res.text()], JSON.stringify(body).slice(0, 80)).toEqual([400, expect.stringMatching(message)]);
      }
      // IPv6 literals are addresses too; a thousand of them fit the body limit
      const many = { ...good, targets: Array(1000).fill({ ...target, ip: "fd00:1234:5678:9abc:def0:1234:5678:9abc" }) };
      const refused = await probe(many);
      expect([refused.status, await refused.text()]).toEqual([409, "cannot probe from pods on this node: KUBE9_POD_NETWORK=off\n"]);
      unavailable = undefined;
      const missing = await probe(good);
      expect([missing.status, await missing.text()]).toEqual([404, "pod p1 has no network namespace on this node\n"]);
    } finally {
      await server.close();
    }
  });
});
