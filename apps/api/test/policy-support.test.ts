import { describe, expect, it } from "vitest";
import { policySupport } from "../src/runtime/policy-support.js";

describe("policySupport (what kube9 up says about NetworkPolicies)", () => {
  it("says plainly when policies are not enforced, and why", () => {
    expect(policySupport("process", { KUBE9_POD_NETWORK: "off" })).toEqual({ enforced: false, detail: expect.stringContaining("KUBE9_POD_NETWORK=off") });
    expect(policySupport("hollow", {}).enforced).toBe(false);
  });

  // CI runs as root with iproute2 and nftables installed (KUBE9_REQUIRE_NETNS=1): there they are enforced.
  it.runIf(process.env.KUBE9_REQUIRE_NETNS === "1")("as root with ip and nft, process and docker nodes enforce them", () => {
    expect(policySupport("process", {})).toEqual({ enforced: true, detail: "enforced with nftables in each pod's network namespace" });
    expect(policySupport("docker", {}).enforced).toBe(true);
  });
});
