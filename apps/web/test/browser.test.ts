import type { Kube9Client } from "@kube9/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserRequiredWhereCIRequiresIt, HAVE_BROWSER, screenshot, startBrowserCluster, withPage as withPageOf, type BrowserCluster } from "./browser-harness";

browserRequiredWhereCIRequiresIt();

// One API and one Chromium for the file; each case gets a browser context of its own (no shared
// token or page state), creates its own nodes and pods through the dashboard and removes them when it
// ends. The API is watched over HTTP with the typed client, like any other client would.
describe.skipIf(!HAVE_BROWSER)("dashboard in real Chromium", () => {
  let cluster: BrowserCluster;
  let api: BrowserCluster["api"];
  let client: Kube9Client;
  let browser: Browser;

  const withPage = <T>(fn: (page: Page) => Promise<T>): Promise<T> => withPageOf(browser, fn);

  /**
   * When the API announced each node Failed, from its live node feed (nodes.watch over SSE); stops
   * watching when `fn` ends.
   */
  const withFailedTimes = async <T>(fn: (failedAt: Map<string, number>) => Promise<T>): Promise<T> => {
    const failedAt = new Map<string, number>();
    const note = (n: { name: string; status: string }) => {
      if (n.status === "Failed" && !failedAt.has(n.name)) failedAt.set(n.name, Date.now());
    };
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const sub = client.nodes.watch.subscribe(undefined, {
      onStarted: () => started(),
      onData: ({ data }) => {
        if (data.type === "snapshot") data.items.forEach(note);
        else note(data.item);
      },
    });
    try {
      await ready;
      return await fn(failedAt);
    } finally {
      sub.unsubscribe();
    }
  };

  beforeAll(async () => {
    cluster = await startBrowserCluster("web");
    ({ api, client, browser } = cluster);
  });

  afterAll(() => cluster?.close());

  // The node names show in the README's screenshots, so they stay plain: the case checks that the
  // cluster holds nothing of anyone else's (first-fit and the overview's totals count every node).
  it("token once, add nodes, launch a pod, fail its node: all live", async () => {
    expect(await client.nodes.list.query(), "this case needs a cluster without other nodes").toEqual([]);
    expect(await client.pods.list.query({}), "this case needs a cluster without other pods").toEqual([]);
    await withPage((page) =>
      withFailedTimes(async (failedAt) => {
        const shot = (name: string) => screenshot(page, name);
        const nav = async (id: string) => {
          await page.click(`[data-testid=nav-${id}]`);
          await page.waitForFunction((h) => location.hash === `#/${h}`, id);
        };
        try {
          await page.goto(api.url);
          await page.waitForSelector("[data-testid=login-form]");
          await shot("login");

          // A wrong token is refused; the right one opens the dashboard and is kept.
          await page.fill("[data-testid=token-input]", "not-the-token");
          await page.click("[data-testid=token-submit]");
          await page.waitForSelector("text=That token was not accepted.");
          await page.fill("[data-testid=token-input]", api.token);
          await page.click("[data-testid=token-submit]");
          await page.waitForSelector("[data-testid=nav-nodes]");
          expect(await page.evaluate(() => localStorage.getItem("kube9.token"))).toBe(api.token);
          await page.reload();
          await page.waitForSelector("[data-testid=nav-nodes]");

          // Add two nodes through the form; each turns Ready live.
          await nav("nodes");
          for (const [name, cpu] of [
            ["web-a", "2"],
            ["web-b", "4"],
          ] as const) {
            await page.click("[data-testid=toggle-add-node]");
            await page.fill("[data-testid=node-name]", name);
            await page.fill("[data-testid=node-cpu]", cpu);
            await page.fill("[data-testid=node-memory]", "4096");
            await page.click("[data-testid=add-node-submit]");
            await page.waitForSelector(`[data-testid=node-${name}][data-status=Ready]`, { timeout: 20_000 });
          }

          // Launch a pod with first-fit: it goes to web-a, the first registered node that fits.
          await nav("pods");
          await page.click("[data-testid=toggle-launch]");
          await page.fill("[data-testid=pod-name]", "web-pod");
          await page.fill("[data-testid=pod-cpu]", "1");
          await page.fill("[data-testid=pod-memory]", "512");
          await page.selectOption("[data-testid=pod-algorithm]", "first-fit");
          await page.click("[data-testid=launch-submit]");
          await page.waitForSelector("[data-testid=pod-web-pod][data-node=web-a][data-status=Running]", { timeout: 15_000 });
          // A second pod for the pictures.
          await page.click("[data-testid=toggle-launch]");
          await page.fill("[data-testid=pod-name]", "batch-1");
          await page.fill("[data-testid=pod-cpu]", "2");
          await page.click("[data-testid=launch-submit]");
          await page.waitForSelector("[data-testid=pod-batch-1][data-status=Running]", { timeout: 15_000 });
          await shot("pods");

          // The pod's page explains the placement node by node.
          await page.click("a[href='#/pods/web-pod']");
          await page.waitForSelector("[data-testid=fit-web-a].chosen");
          expect(await page.textContent("[data-testid=pod-node]")).toBe("web-a");
          expect(await page.textContent("[data-testid=fit-web-b]")).toContain("fits");
          await shot("pod-placement");

          // The nodes page shows the pod on web-a.
          await nav("nodes");
          await page.waitForSelector("[data-testid=node-web-a] [data-testid=pod-ids] >> text=web-pod");
          await shot("nodes");

          // Record in the page when each card first shows Failed (a MutationObserver: no polling gaps).
          await page.evaluate(() => {
            const seen: Record<string, number> = {};
            (window as unknown as { failedSeen: Record<string, number> }).failedSeen = seen;
            const check = () => {
              for (const el of document.querySelectorAll<HTMLElement>("[data-status=Failed][data-testid^=node-]")) {
                const name = el.dataset.testid!.slice(5);
                seen[name] ??= performance.timeOrigin + performance.now();
              }
            };
            new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
          });

          // Fail web-a (kill its agent): the card turns Failed and the pod moves to web-b.
          const clicked = Date.now();
          await page.click("[data-testid=node-web-a] [data-testid=fail-kill]");
          await page.waitForFunction(() => (window as unknown as { failedSeen: Record<string, number> }).failedSeen["web-a"] !== undefined, undefined, {
            timeout: 15_000,
          });
          const seenAt = await page.evaluate(() => (window as unknown as { failedSeen: Record<string, number> }).failedSeen["web-a"]!);
          const apiAt = failedAt.get("web-a");
          expect(apiAt).toBeDefined();
          const lag = seenAt - apiAt!;
          console.log(`web-a: API marked it Failed ${apiAt! - clicked} ms after the click; the card turned red ${Math.round(lag)} ms later`);
          expect(lag).toBeLessThan(1000);
          await shot("node-failed");

          await nav("pods");
          await page.waitForSelector("[data-testid=pod-web-pod][data-node=web-b]", { timeout: 15_000 });
          await page.waitForSelector("[data-testid=pod-web-pod][data-status=Running]", { timeout: 15_000 });

          // Events show the story live.
          await nav("events");
          await page.waitForSelector("[data-testid=event-row] >> text=NodeFailed");
          await page.waitForSelector("[data-testid=event-row] >> text=PodEvicted");
          await shot("events");

          // Settings: change the algorithm through the form; the API has it.
          await nav("settings");
          await page.click("[data-testid=algo-worst-fit]");
          await page.click("[data-testid=save-algorithm]");
          await page.waitForSelector("text=Algorithm: best-fit → worst-fit");
          expect((await client.cluster.status.query()).algorithm).toBe("worst-fit");
          await shot("settings");

          // The overview adds it all up (give the cluster chart a few samples first).
          await nav("overview");
          await page.waitForSelector("[data-testid=total-nodes] >> text=2");
          await page.waitForFunction(() => Number(document.querySelector("[data-testid=cluster-usage-cpu]")?.getAttribute("data-points")) > 3, undefined, {
            timeout: 15_000,
          });
          await shot("overview");

          // The API docs page renders the OpenAPI document without any network beyond the API.
          await page.goto(`${api.url}/docs`);
          await page.waitForSelector("#nodes\\.add");
          await page.click("#nodes\\.add > summary");
          await shot("api-docs");
        } finally {
          // Leave the cluster as the case found it.
          for (const pod of ["web-pod", "batch-1"]) await client.pods.delete.mutate({ name: pod }).catch(() => {});
          for (const node of ["web-a", "web-b"]) await client.nodes.remove.mutate({ name: node }).catch(() => {});
          await client.cluster.setAlgorithm.mutate({ algorithm: "best-fit" });
        }
      }),
    );
  });

  // Runs a real container (busybox on a process node) from a manifest typed into the dashboard, and
  // follows its log live. Its own node (labelled, and the pod selects it) so other cases' nodes do not matter.
  it("apply a manifest, see its container run and its log tail live", async () => {
    const node = "logs-node";
    const pod = "ticker-logs";
    await client.nodes.add.mutate({ name: node, cpu: 1, memoryMiB: 1024, runtime: "process", labels: { case: "logs" } });
    await withPage(async (page) => {
      try {
        await page.goto(api.url);
        await page.fill("[data-testid=token-input]", api.token);
        await page.click("[data-testid=token-submit]");
        await page.click("[data-testid=nav-pods]");

        // A manifest without an image: the API's field error shows under the form.
        await page.click("[data-testid=toggle-apply]");
        await page.fill(
          "[data-testid=manifest-input]",
          ["apiVersion: v1", "kind: Pod", `metadata: { name: ${pod} }`, "spec:", "  containers:", "    - name: main"].join("\n"),
        );
        await page.click("[data-testid=apply-submit]");
        await page.waitForSelector("[data-testid=manifest-errors] >> text=image");

        await page.fill(
          "[data-testid=manifest-input]",
          [
            "apiVersion: v1",
            "kind: Pod",
            `metadata: { name: ${pod} }`,
            "spec:",
            "  nodeSelector: { case: logs }",
            "  containers:",
            "    - name: main",
            "      image: busybox",
            `      command: ["sh", "-c", "echo hi; while true; do echo tick; sleep 1; done"]`,
            "      resources: { limits: { cpu: 100m, memory: 64Mi } }",
          ].join("\n"),
        );
        const started = Date.now();
        await page.click("[data-testid=apply-submit]");
        await page.click(`a[href='#/pods/${pod}'] >> text=created`, { timeout: 15_000 });

        // The pod page: the container runs, has not restarted, and the pod IP field is there.
        await page.waitForSelector("[data-testid=container-main][data-state=running]", { timeout: 30_000 });
        const running = Date.now();
        expect(await page.textContent("[data-testid=container-main] [data-testid=container-restarts]")).toBe("0");
        expect(await page.textContent("[data-testid=container-main] [data-testid=container-state]")).toContain("Running since");
        expect((await page.textContent("[data-testid=pod-ip]"))?.trim()).toMatch(/^(\d+\.\d+\.\d+\.\d+|none)$/);
        expect(await page.textContent("[data-testid=pod-node]")).toBe(node);

        // The live tail: "hi", then new "tick" lines keep arriving.
        const ticks = () => page.$eval("[data-testid=log-lines]", (el) => (el.textContent ?? "").split("\n").filter((l) => l === "tick").length);
        await page.waitForSelector("[data-testid=log-lines] >> text=hi", { timeout: 15_000 });
        const first = await ticks();
        await page.waitForFunction(
          (n) => (document.querySelector("[data-testid=log-lines]")?.textContent ?? "").split("\n").filter((l) => l === "tick").length >= n + 2,
          first,
          { timeout: 15_000 },
        );
        console.log(`${pod}: Running ${running - started} ms after Apply; ${await ticks()} tick lines live ${Date.now() - running} ms later`);
        await screenshot(page, "pod-containers", true);

        // The node card lists the container it runs.
        await page.click("[data-testid=nav-nodes]");
        await page.waitForSelector(`[data-testid=node-${node}] [data-testid=proc-${pod}-main] >> text=Running`);
      } finally {
        await client.pods.delete.mutate({ name: pod, gracePeriodSeconds: 0 }).catch(() => {});
        await client.nodes.remove.mutate({ name: node }).catch(() => {});
      }
    });
    // Leave nothing behind for the cases that expect an empty cluster.
    await expect.poll(async () => (await client.pods.list.query({})).some((p) => p.name === pod), { timeout: 30_000 }).toBe(false);
    await expect.poll(async () => (await client.nodes.list.query()).some((n) => n.name === node), { timeout: 30_000 }).toBe(false);
  });
});
