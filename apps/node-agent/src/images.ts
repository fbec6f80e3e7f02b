/**
 * The images a node has without a registry (core's BUILTIN_IMAGES) and how a container of each is
 * started: the argv the agent spawns, following Kubernetes' rules for command and args.
 */
import { BUILTIN_IMAGES } from "@kube9/core";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

/** What a container runs: the process to spawn, or why the image cannot be run (like ErrImagePull). */
export type ResolvedImage = { argv: string[]; description: string } | { error: string };

/** Environment variables the lookup reads; the node image sets both. */
export interface ImageEnv {
  KUBE9_BUSYBOX?: string;
  KUBE9_WORKLOAD?: string;
  [key: string]: string | undefined;
}

/** Where busybox is looked for when KUBE9_BUSYBOX is unset (Debian's busybox-static installs the first). */
const BUSYBOX_PATHS = ["/bin/busybox", "/usr/bin/busybox"];

/** Names the workload program answers to as a container command; anything else is passed to it as a mode. */
const WORKLOAD_NAMES = new Set(["workload", "/workload", "kube9-workload"]);

/** The image's name without registry, tag or digest: `docker.io/library/busybox:1.36` is `busybox`. */
export function imageName(image: string): string {
  let name = image.trim();
  const at = name.indexOf("@");
  if (at >= 0) name = name.slice(0, at);
  // A colon after the last slash is a tag; one before it is a registry's port.
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) name = name.slice(0, colon);
  return name.replace(/^docker\.io\//, "").replace(/^library\//, "");
}

/** Kubernetes' rule: command replaces the image's entrypoint, args replace its default args. */
function kubernetesArgv(entrypoint: string[], defaultArgs: string[], command: string[], args: string[]): string[] {
  if (command.length > 0) return [...command, ...args];
  return [...entrypoint, ...(args.length > 0 ? args : defaultArgs)];
}

/** The node's busybox binary, or why there is none. */
export function findBusybox(env: ImageEnv = process.env): string | { error: string } {
  const configured = env.KUBE9_BUSYBOX?.trim();
  if (configured) {
    return existsSync(configured) ? configured : { error: `busybox is built in but KUBE9_BUSYBOX=${configured} does not exist on this node` };
  }
  const found = BUSYBOX_PATHS.find((p) => existsSync(p));
  return found ?? { error: `busybox is built in but this node has no busybox binary (looked in ${BUSYBOX_PATHS.join(", ")}; install busybox-static or set KUBE9_BUSYBOX)` };
}

function findWorkload(env: ImageEnv): string | { error: string } {
  const configured = env.KUBE9_WORKLOAD?.trim();
  if (configured) {
    return existsSync(configured) ? configured : { error: `kube9/workload is built in but KUBE9_WORKLOAD=${configured} does not exist on this node` };
  }
  try {
    // Outside an image (the process runtime, tests) the bundle comes from the workspace package.
    const path = createRequire(import.meta.url).resolve("@kube9/workload/workload.cjs");
    if (existsSync(path)) return path;
    return { error: `kube9/workload is built in but ${path} is missing; run "npm run build"` };
  } catch (err) {
    return { error: `kube9/workload is built in but its program cannot be found (set KUBE9_WORKLOAD): ${(err as Error).message}` };
  }
}

/** Maps a container's image, command and args to the argv to spawn, or to an ErrImagePull-like error. */
export function resolveImage(image: string, command: string[] = [], args: string[] = [], env: ImageEnv = process.env): ResolvedImage {
  const name = imageName(image);
  if (name === "busybox") {
    const busybox = findBusybox(env);
    if (typeof busybox !== "string") return busybox;
    // busybox has no entrypoint and `sh` as its default command; every applet runs as `busybox <applet>`,
    // which also accepts paths such as /bin/sh.
    const argv = kubernetesArgv([], ["sh"], command, args);
    return { argv: [busybox, ...argv], description: `busybox ${argv.join(" ")} (via ${busybox})` };
  }
  if (name === "kube9/workload") {
    const workload = findWorkload(env);
    if (typeof workload !== "string") return workload;
    // The image's entrypoint is the workload program and its default args `idle`, like a pause container.
    const [first, ...rest] = command;
    const own = first !== undefined && WORKLOAD_NAMES.has(first) ? rest : command;
    // A command of just `workload` still drops the default args, as any command does.
    const argv = command.length > 0 ? [...own, ...args] : kubernetesArgv([], ["idle"], [], args);
    return { argv: [process.execPath, workload, ...argv], description: `kube9/workload ${argv.join(" ")} (via ${workload})` };
  }
  return { error: `image "${image}" is not built in; images on this node: ${BUILTIN_IMAGES.join(", ")}` };
}
