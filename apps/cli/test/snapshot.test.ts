// The redrawn views (`top -w`, `alerts -w`): a frame every interval until Ctrl-C, screens cleared only on a
// terminal, and where a one-shot snapshot's text goes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseSnapshotOutput, showSnapshots } from "../src/snapshot.js";
import { frameWriter, refreshUntilInterrupted } from "../src/watch.js";

afterEach(() => vi.restoreAllMocks());

/** Calls the SIGINT handler the watch added (emitting the signal on the process would reach vitest's own too). */
function interrupt(before: readonly unknown[]): void {
  const ours = process.listeners("SIGINT").filter((l) => !before.includes(l));
  expect(ours).toHaveLength(1);
  (ours[0] as () => void)();
}

describe("refreshUntilInterrupted", () => {
  it("redraws every interval until Ctrl-C, then returns and removes its signal handlers", async () => {
    const before = process.listeners("SIGINT");
    const termBefore = process.listenerCount("SIGTERM");
    let n = 0;
    const shown: string[] = [];
    await refreshUntilInterrupted(async () => `frame ${++n}`, (text) => {
      shown.push(text);
      if (shown.length === 3) interrupt(before);
    }, 5);
    expect(shown).toEqual(["frame 1", "frame 2", "frame 3"]);
    expect(process.listeners("SIGINT")).toEqual(before);
    expect(process.listenerCount("SIGTERM")).toBe(termBefore);
  });

  it("Ctrl-C while a frame is still being fetched returns at once, and its later failure is ignored", async () => {
    const before = process.listeners("SIGINT");
    let fail!: (err: Error) => void;
    const shown: string[] = [];
    const done = refreshUntilInterrupted(() => new Promise<string>((_, reject) => (fail = reject)), (t) => shown.push(t), 5);
    interrupt(before);
    await done;
    fail(new Error("socket closed"));
    await new Promise((r) => setTimeout(r, 5));
    expect(shown).toEqual([]);
  });

  it("an error while fetching ends the watch with that error", async () => {
    await expect(refreshUntilInterrupted(async () => Promise.reject(new Error("unauthorized")), () => undefined, 5)).rejects.toThrow("unauthorized");
  });
});

describe("frameWriter", () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, out: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  };

  it("on a terminal, clears the screen before each frame", () => {
    const { writes, out } = stream(true);
    const show = frameWriter(out);
    show("A");
    show("B\n");
    expect(writes).toEqual(["\x1b[H\x1b[2JA\n", "\x1b[H\x1b[2JB\n"]);
  });

  it("into a pipe, frames follow each other separated by a blank line", () => {
    const { writes, out } = stream(false);
    const show = frameWriter(out);
    show("A");
    show("B");
    expect(writes.join("")).toBe("A\n\nB\n");
  });
});

describe("showSnapshots once", () => {
  const capture = () => {
    const out = { stdout: "", stderr: "" };
    vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((out.stdout += String(c)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => ((out.stderr += String(c)), true));
    return out;
  };

  it("a table goes to stdout, kubectl's empty sentence to stderr, json is the doc", async () => {
    const out = capture();
    await showSnapshots("table", false, async () => ({ doc: [1], text: "NAME\nx", to: "stdout" }));
    await showSnapshots("table", false, async () => ({ doc: [], text: "No resources found", to: "stderr" }));
    await showSnapshots("json", false, async () => ({ doc: [], text: "No resources found", to: "stderr" }));
    expect(out).toEqual({ stdout: "NAME\nx\n[]\n", stderr: "No resources found\n" });
  });

  it("'metrics not available yet' is an error (exit 1), as kubectl makes it", async () => {
    capture();
    await expect(showSnapshots("table", false, async () => ({ doc: [], text: "metrics not available yet", to: "error" }))).rejects.toThrow(
      "metrics not available yet",
    );
  });

  it("-o is table or json", () => {
    expect(parseSnapshotOutput(undefined)).toBe("table");
    expect(parseSnapshotOutput("JSON")).toBe("json");
    expect(() => parseSnapshotOutput("yaml")).toThrow('-o/--output must be one of table, json (got "yaml")');
  });
});
