import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type Dockerode from "dockerode";

/** The repository part of the node-agent image name; the tag is the agent's package version. */
export const AGENT_IMAGE_REPO = "kube9/node-agent";

export interface AgentImageInfo {
  /** Full reference, e.g. kube9/node-agent:0.1.0. */
  image: string;
  /** Whether this call built the image (false: it was already there). */
  built: boolean;
  durationMs: number;
  sizeBytes: number;
}

export interface EnsureImageOptions {
  /** Rebuild even when the image exists and is current. */
  force?: boolean;
  onProgress?: (line: string) => void;
  /** The bundled agent (default: @kube9/node-agent's dist/agent.bundle.cjs). */
  bundlePath?: string;
  /** The node binary copied into the image (default: the one running this process). */
  nodeBinary?: string;
}

/** Where the node-agent package lives: its version and the bundle built by its `build` script. */
export function agentPackage(): { dir: string; version: string; bundle: string } {
  const index = fileURLToPath(import.meta.resolve("@kube9/node-agent"));
  const dir = dirname(dirname(index));
  const version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  return { dir, version, bundle: join(dir, "dist", "agent.bundle.cjs") };
}

/** The image reference the docker runtime runs. */
export function agentImageRef(): string {
  return `${AGENT_IMAGE_REPO}:${agentPackage().version}`;
}

/** The shared libraries and the dynamic loader a binary needs, as `ldd` lists them (absolute paths). */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [binary], { encoding: "utf8" });
  } catch (err) {
    const text = `${(err as { stdout?: string }).stdout ?? ""}${(err as Error).message}`;
    // A static binary needs nothing.
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new Error(`cannot list the shared libraries of ${binary} with ldd: ${(err as Error).message}`);
  }
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    if (/not found/.test(line)) throw new Error(`${binary} needs a library that is missing on this machine: ${line.trim()}`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/** Version of the image contents: a change in the agent bundle or the node binary means a rebuild. */
function contentDigest(bundle: string, nodeBinary: string): string {
  const h = createHash("sha256");
  h.update(readFileSync(bundle));
  h.update(nodeBinary);
  h.update(process.version);
  return h.digest("hex").slice(0, 16);
}

async function imageLabels(docker: Dockerode, ref: string): Promise<{ labels: Record<string, string>; size: number } | null> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { labels: info.Config?.Labels ?? {}, size: info.Size };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

/** Whether the node-agent image exists (and matches the current agent bundle when it was built here). */
export async function agentImageReady(docker: Dockerode, opts: { bundlePath?: string; nodeBinary?: string } = {}): Promise<boolean> {
  const found = await imageLabels(docker, agentImageRef());
  if (!found) return false;
  const digest = found.labels["kube9.agent-digest"];
  // Images built from the plain Dockerfile carry no digest: the user built them on purpose; use them.
  if (!digest) return true;
  const bundle = opts.bundlePath ?? agentPackage().bundle;
  if (!existsSync(bundle)) return true;
  return digest === contentDigest(bundle, opts.nodeBinary ?? process.execPath);
}

/**
 * Builds `kube9/node-agent:<version>` with no registry: an image FROM scratch holding the local node
 * binary, the shared libraries and loader it needs (from ldd), and the bundled agent. Does nothing when
 * the image exists and is current, unless forced.
 */
export async function ensureAgentImage(docker: Dockerode, opts: EnsureImageOptions = {}): Promise<AgentImageInfo> {
  const started = Date.now();
  const image = agentImageRef();
  const progress = opts.onProgress ?? (() => {});
  const bundle = opts.bundlePath ?? agentPackage().bundle;
  const nodeBinary = opts.nodeBinary ?? process.execPath;
  if (!opts.force && (await agentImageReady(docker, { bundlePath: bundle, nodeBinary }))) {
    const found = await imageLabels(docker, image);
    return { image, built: false, durationMs: Date.now() - started, sizeBytes: found?.size ?? 0 };
  }
  if (!existsSync(bundle)) {
    throw new Error(`the bundled node agent ${bundle} is missing; run "npm run build" first`);
  }
  const previous = await docker
    .getImage(image)
    .inspect()
    .then((i) => i.Id, () => null);
  const context = mkdtempSync(join(tmpdir(), "kube9-image-"));
  try {
    progress(`assembling the image context (node ${process.version}, its shared libraries, the agent bundle)`);
    const rootfs = join(context, "rootfs");
    const put = (from: string, to: string, mode = 0o755) => {
      const dest = join(rootfs, to);
      mkdirSync(dirname(dest), { recursive: true });
      // copyFileSync follows symlinks: the image gets the real file under the name the loader asks for.
      copyFileSync(from, dest);
      chmodSync(dest, mode);
    };
    put(nodeBinary, "node");
    for (const lib of sharedLibraries(nodeBinary)) put(lib, lib);
    put(bundle, "agent.js", 0o644);
    mkdirSync(join(rootfs, "tmp"), { recursive: true });
    chmodSync(join(rootfs, "tmp"), 0o1777);
    mkdirSync(join(rootfs, "etc"), { recursive: true });
    writeFileSync(join(rootfs, "etc", "passwd"), "root:x:0:0:root:/:/node\nnobody:x:65534:65534:nobody:/:/node\n");
    writeFileSync(join(rootfs, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
    const { version } = agentPackage();
    writeFileSync(
      join(context, "Dockerfile"),
      [
        "FROM scratch",
        "COPY rootfs/ /",
        `LABEL kube9.image="node-agent" kube9.version="${version}" kube9.agent-digest="${contentDigest(bundle, nodeBinary)}"`,
        "ENV NODE_ENV=production",
        "USER 65534:65534",
        'ENTRYPOINT ["/node", "/agent.js"]',
        "",
      ].join("\n"),
    );
    progress(`building ${image} (FROM scratch, offline)`);
    const tar = spawn("tar", ["-C", context, "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
    let tarErr = "";
    tar.stderr.on("data", (d: Buffer) => (tarErr += d.toString()));
    const tarDone = new Promise<void>((resolve, reject) => {
      tar.once("error", (err) => reject(new Error(`cannot run tar to pack the image context: ${err.message}`)));
      tar.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`tar failed (${code}): ${tarErr.trim()}`))));
    });
    const stream = await docker.buildImage(tar.stdout, { t: image, rm: true, forcerm: true, labels: { "kube9.image": "node-agent" } });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
          if (err) return reject(err);
          const failed = output.find((o) => o.error || o.errorDetail);
          if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error ?? "unknown build error"));
          resolve();
        },
        (event: { stream?: string }) => {
          const line = event.stream?.trim();
          if (line) progress(line);
        },
      );
    });
    await tarDone;
    const found = await imageLabels(docker, image);
    if (!found) throw new Error("the build reported success but the image is missing");
    // The image this one replaces would linger untagged; drop it unless a container still uses it.
    const current = await docker.getImage(image).inspect().then((i) => i.Id, () => null);
    if (previous && previous !== current) await docker.getImage(previous).remove().catch(() => {});
    const info = { image, built: true, durationMs: Date.now() - started, sizeBytes: found.size };
    progress(`built ${image} in ${(info.durationMs / 1000).toFixed(1)} s, ${(info.sizeBytes / 1e6).toFixed(1)} MB`);
    return info;
  } catch (err) {
    throw new Error(`building the node-agent image ${image} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
