import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect, it } from "vitest";

// What the browser test files share: where Chromium and the built dashboard are, where pictures go,
// how Chromium starts (offline, no sandbox as root), and a fresh context per case.

export const CHROMIUM = process.env.KUBE9_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_BROWSER = existsSync(CHROMIUM);
const REQUIRED = process.env.KUBE9_REQUIRE_BROWSER === "1";
const DIST = resolve(fileURLToPath(new URL("../dist/index.html", import.meta.url)));
// Screenshots go to .reports/screenshots (ignored by git); KUBE9_UPDATE_SCREENSHOTS=1 refreshes the README's
// pictures; KUBE9_SCREENSHOTS_DIR puts them anywhere else (to look at them after a run).
export const SHOTS =
  process.env.KUBE9_SCREENSHOTS_DIR ??
  resolve(
    fileURLToPath(
      new URL(process.env.KUBE9_UPDATE_SCREENSHOTS === "1" ? "../../../docs/screenshots" : "../../../.reports/screenshots", import.meta.url),
    ),
  );

/** Each browser test file starts with this case: CI sets KUBE9_REQUIRE_BROWSER=1 and installs chromium, so a missing browser fails there, never skips. */
export function browserRequiredWhereCIRequiresIt(): void {
  it("the browser test runs where CI requires it", () => {
    if (REQUIRED) expect(HAVE_BROWSER, `KUBE9_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`).toBe(true);
    if (REQUIRED) expect(existsSync(DIST), "the dashboard is not built (npm run build)").toBe(true);
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A real API (process runtime, in a home of its own), its typed client, and Chromium: what a browser test file drives. */
export interface BrowserCluster {
  api: RunningControlPlane;
  client: Kube9Client;
  browser: Browser;
  close(): Promise<void>;
}

export async function startBrowserCluster(name: string): Promise<BrowserCluster> {
  const home = mkdtempSync(join(tmpdir(), `kube9-${name}-`));
  const api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
  const client = createKube9Client({ url: api.url, token: api.token });
  const browser = await launchChromium().catch(async (err: unknown) => {
    await api.close();
    throw err;
  });
  return {
    api,
    client,
    browser,
    async close() {
      await browser.close();
      await api.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A fresh browser context and page for one case, closed when `fn` ends. */
export async function withPage<T>(browser: Browser, fn: (page: Page) => Promise<T>): Promise<T> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  try {
    const page = await context.newPage();
    page.on("pageerror", (err) => console.error("page error:", err.message));
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** Saves the page as SHOTS/<name>.png, after a moment for the last render. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}
