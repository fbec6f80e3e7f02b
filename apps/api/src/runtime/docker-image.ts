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
  /** The built-in busybox image's binary (default: this machine's, see hostBusybox). */
  busyboxBinary?: string;
  /** The built-in kube9/workload program (default: @kube9/workload's dist/workload.cjs). */
  workloadPath?: string;
}

/** Where the built-in images live inside the node image; the agent finds them through these variables. */
export const IMAGE_BUSYBOX_PATH = "/bin/busybox";
export const IMAGE_WORKLOAD_PATH = "/workload.cjs";
export const IMAGE_IP_PATH = "/usr/sbin/ip";
export const IMAGE_NFT_PATH = "/usr/sbin/nft";

/** Where busybox is looked for on this machine when KUBE9_BUSYBOX is unset (Debian's busybox-static). */
const HOST_BUSYBOX_PATHS = ["/bin/busybox", "/usr/bin/busybox"];

/** This machine's busybox binary, which the node image carries as the built-in busybox image, or null. */
export function hostBusybox(env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.KUBE9_BUSYBOX?.trim();
  if (configured) return existsSync(configured) ? configured : null;
  return HOST_BUSYBOX_PATHS.find((p) => existsSync(p)) ?? null;
}

/** The bundled workload program built by @kube9/workload's `build` script. */
export function workloadBundle(): string {
  return fileURLToPath(import.meta.resolve("@kube9/workload/workload.cjs"));
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
    // stderr is piped, not inherited: for a static binary ldd complains there, which is no error here.
    out = execFileSync("ldd", [binary], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
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

/** Every host file the image is assembled from; busybox is null when this machine has none. */
interface ImageInputs {
  bundle: string;
  nodeBinary: string;
  busybox: string | null;
  workload: string;
  /** iproute2's ip on this machine, if any. */
  ip: string | null;
  /** nftables' nft on this machine, if any. */
  nft: string | null;
}

/** A binary of this machine's sbin or bin directories, or null. */
function hostBinary(name: string): string | null {
  return ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map((dir) => `${dir}/${name}`).find((p) => existsSync(p)) ?? null;
}

function imageInputs(opts: EnsureImageOptions): ImageInputs {
  return {
    bundle: opts.bundlePath ?? agentPackage().bundle,
    nodeBinary: opts.nodeBinary ?? process.execPath,
    busybox: opts.busyboxBinary ?? hostBusybox(),
    workload: opts.workloadPath ?? workloadBundle(),
    ip: hostBinary("ip"),
    nft: hostBinary("nft"),
  };
}

/** Version of the image contents: a change in any file it carries or in the node binary means a rebuild. */
function contentDigest(inputs: ImageInputs): string {
  const h = createHash("sha256");
  h.update(readFileSync(inputs.bundle));
  h.update(inputs.nodeBinary);
  h.update(process.version);
  // Each part is framed by its name so moving bytes from one file to another changes the digest.
  for (const [name, file] of [["workload", inputs.workload], ["busybox", inputs.busybox], ["ip", inputs.ip], ["nft", inputs.nft]] as const) {
    h.update(`\0${name}\0`);
    h.update(file && existsSync(file) ? readFileSync(file) : "missing");
  }
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
export async function agentImageReady(docker: Dockerode, opts: Omit<EnsureImageOptions, "force" | "onProgress"> = {}): Promise<boolean> {
  const found = await imageLabels(docker, agentImageRef());
  if (!found) return false;
  const digest = found.labels["kube9.agent-digest"];
  // Images built from the plain Dockerfile carry no digest: the user built them on purpose; use them.
  if (!digest) return true;
  const inputs = imageInputs(opts);
  if (!existsSync(inputs.bundle) || !existsSync(inputs.workload)) return true;
  return digest === contentDigest(inputs);
}

/**
 * Builds `kube9/node-agent:<version>` with no registry: an image FROM scratch holding the local node
 * binary, the shared libraries and loader it needs (from ldd), the bundled agent and the built-in
 * images (busybox, the workload bundle). Does nothing when the image exists and is current, unless forced.
 */
export async function ensureAgentImage(docker: Dockerode, opts: EnsureImageOptions = {}): Promise<AgentImageInfo> {
  const started = Date.now();
  const image = agentImageRef();
  const progress = opts.onProgress ?? (() => {});
  const inputs = imageInputs(opts);
  const { bundle, nodeBinary, busybox, workload } = inputs;
  if (!opts.force && (await agentImageReady(docker, opts))) {
    const found = await imageLabels(docker, image);
    return { image, built: false, durationMs: Date.now() - started, sizeBytes: found?.size ?? 0 };
  }
  if (!existsSync(bundle)) {
    throw new Error(`the bundled node agent ${bundle} is missing; run "npm run build" first`);
  }
  if (!existsSync(workload)) throw new Error(`the bundled workload ${workload} is missing; run "npm run build" first`);
  if (!busybox) {
    throw new Error(
      `the node image carries the built-in busybox image, but this machine has no busybox (${
        process.env.KUBE9_BUSYBOX ? `KUBE9_BUSYBOX=${process.env.KUBE9_BUSYBOX} does not exist` : `looked in ${HOST_BUSYBOX_PATHS.join(", ")}`
      }); install busybox-static: apt-get install busybox-static`,
    );
  }
  const previous = await docker
    .getImage(image)
    .inspect()
    .then((i) => i.Id, () => null);
  const context = mkdtempSync(join(tmpdir(), "kube9-image-"));
  try {
    progress(`assembling the image context (node ${process.version}, its shared libraries, the agent bundle, busybox, the workload)`);
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
    put(busybox, IMAGE_BUSYBOX_PATH);
    // Debian's busybox-static needs nothing; another build of busybox brings its libraries along.
    for (const lib of sharedLibraries(busybox)) put(lib, lib);
    put(workload, IMAGE_WORKLOAD_PATH, 0o644);
    // iproute2's ip, for the pod network: a node container that may create network namespaces gives
    // each pod its own (see runtime/docker-runtime.ts); without it pods share the node's network.
    // nft puts NetworkPolicies in force inside those namespaces; without it the node enforces none.
    for (const [binary, path] of [[inputs.ip, IMAGE_IP_PATH], [inputs.nft, IMAGE_NFT_PATH]] as const) {
      if (!binary) continue;
      put(binary, path);
      for (const lib of sharedLibraries(binary)) put(lib, lib);
    }
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
        `LABEL kube9.image="node-agent" kube9.version="${version}" kube9.agent-digest="${contentDigest(inputs)}"`,
        `ENV NODE_ENV=production KUBE9_BUSYBOX=${IMAGE_BUSYBOX_PATH} KUBE9_WORKLOAD=${IMAGE_WORKLOAD_PATH}`,
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
