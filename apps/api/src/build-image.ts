/** `npm run image`: builds the node-agent image by hand (offline, FROM scratch), even if it exists. */
import Docker from "dockerode";
import { connectDocker, dockerUnreachableMessage } from "./runtime/docker-runtime.js";
import { ensureAgentImage } from "./runtime/docker-image.js";

const docker: Docker = connectDocker();
const ping = await pingOrExplain(docker);
if (!ping) process.exit(1);
try {
  const info = await ensureAgentImage(docker, { force: process.argv.includes("--if-missing") ? false : true, onProgress: (l) => console.log(l) });
  console.log(
    info.built
      ? `${info.image}: built in ${(info.durationMs / 1000).toFixed(1)} s, ${(info.sizeBytes / 1e6).toFixed(1)} MB`
      : `${info.image}: already present (${(info.sizeBytes / 1e6).toFixed(1)} MB)`,
  );
  process.exit(0);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

async function pingOrExplain(d: Docker): Promise<boolean> {
  try {
    await d.ping();
    return true;
  } catch (err) {
    console.error(dockerUnreachableMessage(err, d));
    return false;
  }
}
