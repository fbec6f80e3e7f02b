import { containerRunning, containerWaiting } from "./kubelet.js";
import { podConditions, podPhase } from "./pod-status.js";
import type { PodStatusReport } from "./protocol.js";
import { BUILTIN_IMAGES, type ContainerStatus, type PodSpec } from "./types.js";

/** The image name without a tag or digest, as nodes look it up (`busybox:1.36` -> `busybox`). */
export function imageBaseName(image: string): string {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const bare = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return bare.replace(/^(docker\.io\/)?library\//, "");
}

/**
 * What a hollow node (simulated, no processes) reports for a pod it was given at `now`: containers of
 * built-in images run and are ready at once; any other image waits with ErrImagePull, as on a real node.
 */
export function hollowPodStatus(podId: string, spec: PodSpec, scheduledAt: number | undefined, now: number): PodStatusReport {
  const known = new Set<string>(BUILTIN_IMAGES);
  const containerStatuses: ContainerStatus[] = spec.containers.map((c) => {
    const runs = known.has(imageBaseName(c.image));
    return {
      name: c.name,
      image: c.image,
      state: runs
        ? containerRunning(now)
        : containerWaiting("ErrImagePull", `image "${c.image}" is not built in; images on this node: ${BUILTIN_IMAGES.join(", ")}`),
      lastState: {},
      ready: runs,
      started: runs,
      restartCount: 0,
    };
  });
  const phase = podPhase(spec, containerStatuses);
  return { podId, phase, containerStatuses, conditions: podConditions(phase, containerStatuses, scheduledAt, now) };
}
