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
});
