import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { ControlPlane } from "../src/control-plane.js";
import { createContext } from "../src/trpc.js";

// The HTTP server listens before the control plane has loaded its cache (agents need the URL); a request
// in that moment used to reach the authenticator, which read the unloaded cache: a 500. It is a 503 now.

describe("a request before the control plane is ready", () => {
  it("gets SERVICE_UNAVAILABLE saying the API is starting, for any token", async () => {
    const starting = { ready: false } as unknown as ControlPlane;
    for (const auth of [undefined, "Bearer k9a.some-admin-token-0123456789", "Bearer k9n.00000000-0000-4000-8000-000000000000.x"]) {
      const err = await createContext(starting, auth).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TRPCError);
      expect(err).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "the Kube-9 API is starting; try again in a moment" });
    }
  });
});
