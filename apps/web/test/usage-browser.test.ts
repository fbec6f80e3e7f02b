import type { Kube9Client } from "@kube9/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserRequiredWhereCIRequiresIt, HAVE_BROWSER, screenshot, startBrowserCluster, withPage, type BrowserCluster } from "./browser-harness";

browserRequiredWhereCIRequiresIt();

// Measured use in the dashboard, from a real process node running a real CPU burner: the pod's charts
// fill with the samples its node measures, the overview's heatmap and top consumers show it, and an
// alert rule made to fire on it puts the banner on every page. Nothing is faked in the browser or the API.
describe.skipIf(!HAVE_BROWSER)("usage and alerts in real Chromium", () => {
  const NODE = "usage-node";
  const POD = "burner";
  const RULE = "ContainerCPUOverRequest";
  let cluster: BrowserCluster;
  let api: BrowserCluster["api"];
  let client: Kube9Client;
  let browser: Browser;

  /** How many measured points a chart holds (its wrapper says, beside uPlot's canvas). */
  const pointsIn = (page: Page, testid: string) => page.getAttribute(`[data-testid=${testid}]`, "data-points").then(Number);
  const waitForPoints = (page: Page, testid: string, more: number) =>
    page.waitForFunction(([id, n]) => Number(document.querySelector(`[data-testid=${id}]`)?.getAttribute("data-points")) > n, [testid, more] as const, {
      timeout: 30_000,
    });

  beforeAll(async () => {
    cluster = await startBrowserCluster("web-usage");
    ({ api, client, browser } = cluster);
  });

  afterAll(() => cluster?.close());

  it("a burning pod's charts fill live, the heatmap and top consumers show it, an alert on it shows everywhere", async () => {
    await client.nodes.add.mutate({ name: NODE, cpu: 2, memoryMiB: 2048, runtime: "process" });
    // 300m burned against a 100m request: three times what it asked for.
    await client.pods.launch.mutate({ name: POD, image: "kube9/workload", args: ["cpu", "--millicores", "300"], cpu: 0.1, memoryMiB: 64, limitCpu: 0.5, limitMemoryMiB: 128 });
    await expect.poll(async () => (await client.pods.get.query({ name: POD })).pod.phase, { timeout: 30_000 }).toBe("Running");
    await withPage(browser, async (page) => {
      try {
        await page.goto(api.url);
        await page.fill("[data-testid=token-input]", api.token);
        await page.click("[data-testid=token-submit]");
        await page.waitForSelector("[data-testid=nav-nodes]");

        // The pod page: uPlot's canvas, real points arriving, and the request and limit it is drawn against.
        await page.goto(`${api.url}/#/pods/${POD}`);
        await page.waitForSelector("[data-testid=pod-usage-cpu] canvas", { timeout: 15_000 });
        await waitForPoints(page, "pod-usage-cpu", 2);
        const first = await pointsIn(page, "pod-usage-cpu");
        expect(await page.textContent("[data-testid=pod-usage]")).toContain("request 100m");
        expect(await page.textContent("[data-testid=pod-usage]")).toContain("limit 500m");
        expect(await page.textContent("[data-testid=pod-usage]")).toContain("limit 128 MiB");
        // Live: the chart keeps taking the new seconds.
        await waitForPoints(page, "pod-usage-cpu", first + 1);
        console.log(`${POD}: its CPU chart went from ${first} to ${await pointsIn(page, "pod-usage-cpu")} points while open`);

        // The overview: the node's tile has a CPU share, the burner leads top consumers with its request beside.
        await page.click("[data-testid=nav-overview]");
        const tile = `[data-testid=heat-${NODE}]`;
        await page.waitForFunction((sel) => /^\d+$/.test(document.querySelector(sel)?.getAttribute("data-value") ?? ""), tile, { timeout: 15_000 });
        expect(await page.textContent(`${tile} .tile-value`)).toMatch(/^\d+%$/);
        expect(await page.getAttribute(tile, "title")).toMatch(new RegExp(`^${NODE} \\(Ready, 1 pod\\): CPU \\S+ of 2 cores`));
        const row = `[data-testid=top-cpu-${POD}]`;
        await page.waitForSelector(row, { timeout: 15_000 });
        expect(await page.textContent(`${row} td:nth-child(4)`)).toBe("100m");
        console.log(`${NODE}: heatmap tile ${await page.textContent(`${tile} .tile-value`)} CPU; top consumer ${POD} uses ${await page.textContent(`${row} td:nth-child(3)`)}`);
        await waitForPoints(page, "cluster-usage-cpu", 3);

        // The tile leads to the node's page: its use over time against its capacity, and its pods.
        await page.click(tile);
        await waitForPoints(page, "node-usage-cpu", 2);
        await page.waitForSelector(`[data-testid=node-pods-cpu-${POD}]`);
        expect(await page.textContent("[data-testid=node-usage]")).toContain("capacity 2 cores");
        await page.click("[data-testid=nav-overview]");

        // A rule that the burner breaks at once: the banner comes with the firing alert, on whatever page is open.
        await client.alerts.setRule.mutate({ name: RULE, threshold: 0.1, for: "1s" });
        await page.waitForSelector(`[data-testid=alert-banner] >> text=pod default/${POD}`, { timeout: 20_000 });
        await screenshot(page, "usage-overview", true);
        await page.goto(`${api.url}/#/pods/${POD}`);
        await page.waitForSelector("[data-testid=alert-banner]");
        await waitForPoints(page, "pod-usage-cpu", 2);
        await screenshot(page, "usage-pod");

        // The Alerts page: the alert firing on the pod, and the rule edited inline; a bad `for:` gets the API's own words.
        await page.click("[data-testid=alert-banner-link]");
        await page.waitForSelector(`[data-testid=alert-${RULE}][data-state=firing] >> text=${POD}`);
        await page.click(`[data-testid=rule-${RULE}-edit]`);
        await page.fill(`[data-testid=rule-${RULE}-for]`, "soon");
        await page.click(`[data-testid=rule-${RULE}-save]`);
        const error = await page.waitForSelector(`[data-testid=rule-${RULE}-error]`);
        expect(await error.textContent()).toMatch(/for/);
        await page.fill(`[data-testid=rule-${RULE}-for]`, "2s");
        await page.fill(`[data-testid=rule-${RULE}-threshold]`, "0.2");
        await page.click(`[data-testid=rule-${RULE}-save]`);
        await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("> 0.2"), `[data-testid=rule-${RULE}]`);
        const rule = (await client.alerts.rules.query()).find((r) => r.name === RULE)!;
        expect(rule).toMatchObject({ for: "2s", threshold: 0.2, modified: true });
      } finally {
        await client.alerts.deleteRule.mutate({ name: RULE }).catch(() => {});
        await client.pods.delete.mutate({ name: POD, gracePeriodSeconds: 0 }).catch(() => {});
        await client.nodes.remove.mutate({ name: NODE }).catch(() => {});
      }
    });
    await expect.poll(async () => (await client.nodes.list.query()).some((n) => n.name === NODE), { timeout: 30_000 }).toBe(false);
  });
});
