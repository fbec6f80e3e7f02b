import type { Kube9Client } from "@kube9/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserRequiredWhereCIRequiresIt, HAVE_BROWSER, screenshot, startBrowserCluster, withPage, type BrowserCluster } from "./browser-harness";

browserRequiredWhereCIRequiresIt();

// Issue 10's acceptance, watched in the dashboard: a group of 1-core process nodes starts empty, two
// 1-core pods that only its nodes may take make it grow to 2, and once they are deleted it shrinks back
// to 0 after the unneeded time; the Autoscaling page shows each step with the autoscaler's own event.
// The autoscaler, the nodes and their agents are real; the browser only reads what the API says.
describe.skipIf(!HAVE_BROWSER)("autoscaling in real Chromium", () => {
  const GROUP = "as";
  const PODS = ["as-pod-1", "as-pod-2"];
  let cluster: BrowserCluster;
  let api: BrowserCluster["api"];
  let client: Kube9Client;
  let browser: Browser;

  /** The group's bar once it reads `size` nodes, all Ready (the autoscaler's work is slow on a busy machine). */
  const waitForSize = (page: Page, size: number, timeout: number) =>
    page.waitForSelector(`[data-testid=group-${GROUP}-bar][data-size="${size}"][data-ready="${size}"]`, { timeout });
  const feedLine = (page: Page, reason: string, timeout = 15_000) => page.waitForSelector(`[data-testid=as-event][data-reason=${reason}]`, { timeout });

  beforeAll(async () => {
    cluster = await startBrowserCluster("web-autoscale");
    ({ api, client, browser } = cluster);
  });

  afterAll(() => cluster?.close());

  it("a group grows to 2 for two pending pods and shrinks to 0 when they go, each step explained on the page", { timeout: 240_000 }, async () => {
    await client.nodeGroups.create.mutate({ name: GROUP, min: 0, max: 3, cpu: 1, memoryMiB: 512, labels: { tier: "as" }, settings: { unneededTime: "3s" } });
    await withPage(browser, async (page) => {
      try {
        await page.goto(api.url);
        await page.fill("[data-testid=token-input]", api.token);
        await page.click("[data-testid=token-submit]");
        await page.click("[data-testid=nav-autoscaling]");
        await waitForSize(page, 0, 15_000);
        expect(await page.textContent(`[data-testid=group-${GROUP}-template]`)).toBe("1 core, 512 MiB, process nodes · tier=as");
        await feedLine(page, "NodeGroupCreated");

        // The create form shows the API's refusal word for word (max below min).
        const refusal = await client.nodeGroups.create.mutate({ name: "backwards", min: 2, max: 1, cpu: 1 }).then(
          () => "",
          (err: Error) => err.message,
        );
        expect(refusal).not.toBe("");
        await page.click("[data-testid=toggle-create-group]");
        await page.fill("[data-testid=group-name]", "backwards");
        await page.fill("[data-testid=group-min]", "2");
        await page.fill("[data-testid=group-max]", "1");
        await page.fill("[data-testid=group-cpu]", "1");
        await page.click("[data-testid=group-submit]");
        expect(await (await page.waitForSelector("[data-testid=group-form] .error")).textContent()).toBe(refusal);
        await page.click("[data-testid=toggle-create-group]");

        // Two 1-core pods only the group's nodes may take: nothing fits them now, so the group grows to 2. Launched
        // in one batched request, so one pass of the autoscaler normally finds both pending (a pass that falls
        // between them sees one due before the other: two steps of one node, both explained).
        const launched = Date.now();
        await Promise.all(PODS.map((name) => client.pods.launch.mutate({ name, cpu: 1, nodeSelector: { tier: "as" } })));
        await waitForSize(page, 2, 60_000);
        const grown = Date.now();
        expect(await page.textContent(`[data-testid=group-${GROUP}-size]`)).toBe("2 of max 3");
        await feedLine(page, "ScaledUpGroup");
        const ups = await page.$$eval("[data-testid=as-event][data-reason=ScaledUpGroup]", (rows) => rows.map((r) => r.textContent ?? ""));
        for (const line of ups) expect(line).toMatch(/pods? unschedulable, added \d nodes? to group as .*Nodes were added/);
        expect(ups.reduce((sum, line) => sum + Number(/added (\d)/.exec(line)![1]), 0)).toBe(2);
        await expect.poll(async () => (await client.pods.list.query({})).filter((p) => p.status === "Running").length, { timeout: 30_000 }).toBe(2);
        await page.waitForSelector(`[data-testid=group-${GROUP}-nodes] a >> text=${GROUP}-`);
        console.log(`group ${GROUP}: 2 pods launched -> the page showed 2 Ready nodes ${grown - launched} ms later (${ups.length} scale-up step(s))`);
        await screenshot(page, "autoscaling-up", true);

        // The overview sums it up while any group exists.
        await page.click("[data-testid=nav-overview]");
        await page.waitForSelector(`[data-testid=summary-group-${GROUP}] >> text=2 of max 3`);
        await screenshot(page, "autoscaling-overview", true);
        await page.click("[data-testid=nav-autoscaling]");

        // The pods go: both nodes turn unneeded (the page counts down, then says what keeps them), then are removed one at a time.
        for (const name of PODS) await client.pods.delete.mutate({ name, gracePeriodSeconds: 0 });
        const gone = Date.now();
        await page.waitForSelector(`[data-testid=group-${GROUP}-unneeded] >> text=unneeded for`, { timeout: 30_000 });
        await screenshot(page, "autoscaling-unneeded", true);
        await waitForSize(page, 0, 90_000);
        console.log(`group ${GROUP}: pods deleted -> the page showed 0 nodes ${Date.now() - gone} ms later`);
        expect(await page.textContent(`[data-testid=group-${GROUP}-size]`)).toBe("0 of max 3");
        const down = await feedLine(page, "ScaleDown");
        expect(await down.textContent()).toMatch(/group as: removing node as-\S+: node as-\S+ unneeded for/);
        expect(await page.$$(`[data-testid=as-event][data-reason=ScaleDown]`)).toHaveLength(2);
        await screenshot(page, "autoscaling-down", true);

        // By hand: the size input follows the group, Scale sets it, the feed says who did it.
        expect(await page.inputValue(`[data-testid=group-${GROUP}-size-input]`)).toBe("0");
        await page.fill(`[data-testid=group-${GROUP}-size-input]`, "1");
        await page.click(`[data-testid=group-${GROUP}-scale]`);
        await waitForSize(page, 1, 30_000);
        expect(await (await feedLine(page, "NodeGroupScaled")).textContent()).toContain("set to 1 nodes by user (was 0)");

        // Delete through the card's button (after the confirm): the card goes with its node, the feed says so.
        page.once("dialog", (d) => void d.accept());
        await page.click(`[data-testid=group-${GROUP}-delete]`);
        await feedLine(page, "NodeGroupDeleted");
        await page.waitForSelector(`[data-testid=group-${GROUP}]`, { state: "detached" });
      } finally {
        for (const name of PODS) await client.pods.delete.mutate({ name, gracePeriodSeconds: 0 }).catch(() => {});
        await client.nodeGroups.delete.mutate({ name: GROUP }).catch(() => {});
      }
    });
    await expect.poll(async () => (await client.nodes.list.query()).filter((n) => n.status !== "Removed").length, { timeout: 30_000 }).toBe(0);
  });
});
