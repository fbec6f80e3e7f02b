import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the built dashboard is: KUBE9_WEB_DIST, else the dist folder of the @kube9/web workspace
 * (resolved at run time like the agent entry; the API has no build-time dependency on it), else null.
 */
export function resolveWebDist(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates: string[] = [];
  if (env.KUBE9_WEB_DIST) candidates.push(env.KUBE9_WEB_DIST);
  try {
    const pkg = createRequire(import.meta.url).resolve("@kube9/web/package.json");
    candidates.push(join(dirname(pkg), "dist"));
  } catch {
    // not installed next to the API
  }
  // apps/api/dist/web-dist.js -> apps/web/dist
  candidates.push(fileURLToPath(new URL("../../web/dist", import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, "index.html"))) ?? null;
}
