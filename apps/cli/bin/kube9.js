#!/usr/bin/env node
// Committed entry point, so npm links the `kube9` bin at install time, before the first build.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('error: kube9 is not built yet; run "npm run build" in the repository first\n');
  process.exit(1);
}
await import(main.href);
