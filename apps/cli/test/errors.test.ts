import { createServer } from "node:net";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/config.js";
import { CliError, EXIT, isNetworkError, oneLine, toCliError } from "../src/errors.js";

const conn = (over: Partial<Connection> = {}): Connection => ({
  url: "http://127.0.0.1:7070",
  token: "t0k",
  urlSource: "default",
  tokenSource: "config",
  configPath: "/home/u/.kube9/config.json",
  ...over,
});

/** A TRPCClientError shaped exactly like one decoded from a server error response. */
function trpcError(code: string, message: string, extra: Record<string, unknown> = {}): TRPCClientError<never> {
  return TRPCClientError.from({
    error: { code: -32000, message, data: { code, httpStatus: 400, ...extra } },
  }) as TRPCClientError<never>;
}

describe("toCliError maps API errors to one line and exit 1", () => {
  const cases: [string, unknown, Partial<Connection>, string][] = [
    ["BAD_REQUEST keeps the server's sentence",
      trpcError("BAD_REQUEST", "cpu: must be > 0 and <= 1024 cores (got 0)"), {},
      "cpu: must be > 0 and <= 1024 cores (got 0)"],
    ["BAD_REQUEST with raw zod JSON falls back to the field list",
      trpcError("BAD_REQUEST", '[{"code":"too_small"}]', { zodError: { formErrors: [], fieldErrors: { cpu: ["Too small"] } } }), {},
      "cpu: Too small"],
    ["BAD_REQUEST with raw JSON and the API's issues list uses the issues",
      trpcError("BAD_REQUEST", "[]", { issues: [{ field: "cpu", message: "cpu: must be > 0 (got 0)" }] }), {},
      "cpu: must be > 0 (got 0)"],
    ["NOT_FOUND is passed through", trpcError("NOT_FOUND", 'node "x" not found'), {}, 'node "x" not found'],
    ["CONFLICT is passed through", trpcError("CONFLICT", 'a node named "a" already exists'), {}, 'a node named "a" already exists'],
    ["PRECONDITION_FAILED is passed through", trpcError("PRECONDITION_FAILED", "node is not Failed"), {}, "node is not Failed"],
    ["INTERNAL_SERVER_ERROR says the API failed", trpcError("INTERNAL_SERVER_ERROR", "boom"), {}, "the API failed: boom"],
    ["multi-line messages are folded into one line", trpcError("BAD_REQUEST", "a\nb\n"), {}, "a; b"],
    ["UNAUTHORIZED with no token says where tokens come from",
      trpcError("UNAUTHORIZED", "missing token"), { token: undefined, tokenSource: "default" },
      'the API at http://127.0.0.1:7070 needs a token and none was given: pass --token, set KUBE9_TOKEN, or use the /home/u/.kube9/config.json that "kube9 up" writes'],
    ["UNAUTHORIZED with a wrong env token names $KUBE9_TOKEN",
      trpcError("UNAUTHORIZED", "invalid token"), { tokenSource: "env" },
      "the API at http://127.0.0.1:7070 rejected the token in $KUBE9_TOKEN (invalid token)"],
    ["UNAUTHORIZED with a flag token names --token",
      trpcError("UNAUTHORIZED", "invalid token"), { tokenSource: "flag" }, "rejected the token given with --token"],
    ["UNAUTHORIZED with the config token names the file",
      trpcError("UNAUTHORIZED", "invalid token"), {}, "rejected the token in /home/u/.kube9/config.json"],
    ["UNAUTHORIZED after withholding a token explains why",
      trpcError("UNAUTHORIZED", "missing"), { token: undefined, tokenSource: "default", tokenIgnoredReason: "the token in f is for A, not B" },
      "needs a token and none was given (the token in f is for A, not B)"],
    ["FORBIDDEN is distinct from UNAUTHORIZED", trpcError("FORBIDDEN", "agents only"), {}, "forbidden: agents only"],
    ["an answer that is not tRPC at all",
      TRPCClientError.from(new SyntaxError("Unexpected token '<'")), {},
      "unexpected answer from http://127.0.0.1:7070 (is it a Kube-9 API?): Unexpected token '<'"],
    ["a plain Error keeps its message (no stack)", new Error("disk full"), {}, "disk full"],
    ["a CliError passes through untouched", new CliError("--cpu bad"), {}, "--cpu bad"],
  ];

  it.each(cases)("%s", (_why, err, over, message) => {
    const out = toCliError(err, conn(over));
    expect(out.message).toContain(message);
    expect(out.message).not.toContain("\n");
    expect(out.exitCode).toBe(EXIT.error);
  });
});

describe("connection failures", () => {
  it("recognises the real error chain of a refused connection", async () => {
    // Grab a free port, then close it so nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const client = createTRPCClient<any>({ links: [httpBatchLink({ url: `http://127.0.0.1:${port}/trpc` })] });
    const err = await (client as any).health.check.query().catch((e: unknown) => e);
    expect(isNetworkError(err)).toBe(true);
    expect(toCliError(err, conn({ url: `http://127.0.0.1:${port}` })).message).toBe(
      `cannot reach the Kube-9 API at http://127.0.0.1:${port} (is "kube9 up" running?)`,
    );
  });

  it("does not call an API error a network error", () => {
    expect(isNetworkError(trpcError("NOT_FOUND", "x"))).toBe(false);
  });
});

describe("oneLine", () => {
  it("trims and joins lines", () => expect(oneLine("  a \r\n\n b ")).toBe("a; b"));
});
