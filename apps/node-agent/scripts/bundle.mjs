// Bundles the agent (dist/main.js and every dependency) into one file, dist/agent.bundle.cjs,
// for the node-agent image built FROM scratch (DESIGN.md section 6): the image holds only
// the node binary, its shared libraries and this file.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [join(root, "dist/main.js")],
  outfile: join(root, "dist/agent.bundle.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  // CommonJS has no import.meta; the agent resolves files next to itself (images.ts) from its URL.
  // The banner repeats "use strict" because a directive only counts at the very top of the file.
  banner: { js: '"use strict";var __kube9_import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "__kube9_import_meta_url" },
});
