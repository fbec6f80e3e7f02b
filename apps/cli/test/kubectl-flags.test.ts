// The kubectl-style flags and arguments: container flags of `pod launch`, `--`, resource names,
// --grace-period, --wait=false, --tail, pod/<name> and exit codes passed through by exec.
import { describe, expect, it } from "vitest";
import { parseBool, parseGrace } from "../src/commands/apply.js";
import { followLines, passableExitCode, podArg, parseTail, type StreamHandlers } from "../src/commands/logs-exec.js";
import { parseResourceArgs, parseResourceKind } from "../src/commands/resources.js";
import { afterDashDash, parseContainerFlags, parseCpuLimit, parseEnv, parseMemoryLimit } from "../src/parse-container.js";

describe("container flags of pod launch", () => {
  it("turn into the launch input, with quantities in cores and MiB", () => {
    expect(
      parseContainerFlags(
        { image: "busybox", limitCpu: "250m", limitMemory: "1Gi", restart: "never", env: ["A=1", "B=x=y"] },
        ["sleep", "10"],
      ),
    ).toEqual({
      image: "busybox",
      command: ["sleep", "10"],
      limitCpu: 0.25,
      limitMemoryMiB: 1024,
      restartPolicy: "Never",
      env: { A: "1", B: "x=y" },
    });
  });

  it("without --image there is nothing to add", () => {
    expect(parseContainerFlags({}, [])).toEqual({});
  });

  // Each case: flags, command, and the start of the error.
  const bad: [why: string, flags: Parameters<typeof parseContainerFlags>[0], command: string[], message: string][] = [
    // A placeholder pod runs nothing, so limits or a command on it would mean nothing.
    ["a limit without an image", { limitCpu: "1" }, [], "--limit-cpu needs --image"],
    ["several without an image", { limitMemory: "1Gi", env: ["A=1"] }, ["sh"], "--limit-memory, --env, -- <command> need --image"],
    ["an empty image", { image: " " }, [], "--image must not be empty"],
    ["an unknown restart policy", { image: "busybox", restart: "Sometimes" }, [], "--restart must be one of Always, OnFailure, Never"],
  ];
  it.each(bad)("%s", (_why, flags, command, message) => {
    expect(() => parseContainerFlags(flags, command)).toThrow(message);
  });
});

describe("limits are Kubernetes quantities", () => {
  const cpu: [string, number | string][] = [
    ["500m", 0.5],
    ["1.5", 1.5],
    ["2", 2],
    ["0", "--limit-cpu must be more than 0"],
    ["lots", "--limit-cpu must be a number of cores"],
    ["-1", "--limit-cpu must not be negative"],
  ];
  it.each(cpu)("--limit-cpu %s", (raw, want) => {
    if (typeof want === "number") expect(parseCpuLimit(raw)).toBe(want);
    else expect(() => parseCpuLimit(raw)).toThrow(want);
  });

  const memory: [string, number | string][] = [
    ["128Mi", 128],
    ["1Gi", 1024],
    // Decimal suffixes round up to whole MiB, as Kube-9 books memory.
    ["1G", 954],
    ["0", "--limit-memory must be more than 0"],
    // "m" is a thousandth of a byte: nearly always a typo for Mi.
    ["64m", 'uses "m"'],
  ];
  it.each(memory)("--limit-memory %s", (raw, want) => {
    if (typeof want === "number") expect(parseMemoryLimit(raw)).toBe(want);
    else expect(() => parseMemoryLimit(raw)).toThrow(want);
  });
});

describe("--env", () => {
  const bad: [string, string][] = [
    ["NOVALUE", "--env must be NAME=value"],
    ["=x", "--env must be NAME=value"],
    ["1A=x", "--env name must be letters"],
  ];
  it.each(bad)("%s is refused", (raw, message) => {
    expect(() => parseEnv([raw])).toThrow(message);
  });
  it("a name given twice is refused, an empty value is fine", () => {
    expect(() => parseEnv(["A=1", "A=2"])).toThrow("--env A is given twice");
    expect(parseEnv(["A="])).toEqual({ A: "" });
  });
});

describe("--", () => {
  // What follows the first bare `--` is the command, options included.
  const cases: [argv: string[], after: string[] | undefined][] = [
    [["exec", "p", "--", "sh", "-c", "exit 3"], ["sh", "-c", "exit 3"]],
    [["exec", "p", "--", "echo", "--", "x"], ["echo", "--", "x"]],
    [["exec", "p", "--"], []],
    [["exec", "p", "ls"], undefined],
  ];
  it.each(cases)("%j", (argv, after) => {
    expect(afterDashDash(argv)).toEqual(after);
  });
});

describe("resource types and names", () => {
  it.each(["pods", "pod", "po", "PODS"])("%s is pods", (raw) => expect(parseResourceKind(raw)).toBe("pod"));
  it.each(["nodes", "node", "no"])("%s is nodes", (raw) => expect(parseResourceKind(raw)).toBe("node"));
  it.each(["nodegroups", "nodegroup", "ng"])("%s is node groups", (raw) => expect(parseResourceKind(raw)).toBe("nodegroup"));
  it("an unknown type says what Kube-9 knows", () => {
    expect(() => parseResourceKind("services")).toThrow('the server doesn\'t have a resource type "services" (Kube-9 knows pods (po), nodes (no), namespaces (ns), networkpolicies (netpol) and nodegroups (ng))');
  });

  it("namespaces and network policies go by kubectl's names and short names", () => {
    for (const t of ["ns", "namespace", "Namespaces"]) expect(parseResourceKind(t)).toBe("namespace");
    for (const t of ["netpol", "networkpolicy", "networkpolicies", "networkpolicies.networking.k8s.io"]) expect(parseResourceKind(t)).toBe("networkpolicy");
  });

  const forms: [type: string, name: string | undefined, want: ReturnType<typeof parseResourceArgs> | string][] = [
    ["pods", undefined, { kind: "pod" }],
    ["po", "web", { kind: "pod", name: "web" }],
    ["pod/web", undefined, { kind: "pod", name: "web" }],
    ["no/n1", undefined, { kind: "node", name: "n1" }],
    ["pod/web", "other", "there is no need to specify a resource type as a separate argument"],
    ["pod/", undefined, "must have a single resource and name"],
  ];
  it.each(forms)("%s %s", (type, name, want) => {
    if (typeof want === "string") expect(() => parseResourceArgs(type, name)).toThrow(want);
    else expect(parseResourceArgs(type, name)).toEqual(want);
  });
});

describe("delete, logs and exec flags", () => {
  it("--grace-period: whole seconds; negative means the pod's own", () => {
    expect(parseGrace("0")).toBe(0);
    expect(parseGrace("15")).toBe(15);
    expect(parseGrace("-1")).toBeUndefined();
    expect(() => parseGrace("1.5")).toThrow("--grace-period must be a whole number");
  });

  it("--wait takes kubectl's --wait=false", () => {
    expect(parseBool(true, "--wait")).toBe(true);
    expect(parseBool("false", "--wait")).toBe(false);
    expect(parseBool("TRUE", "--wait")).toBe(true);
    expect(() => parseBool("web", "--wait")).toThrow('--wait must be true or false (got "web")');
  });

  it("--tail: -1 is all lines", () => {
    expect(parseTail("-1")).toBeUndefined();
    expect(parseTail("20")).toBe(20);
    expect(() => parseTail("-2")).toThrow("--tail must be");
  });

  it("pods may be named pod/<name>; other types have no logs", () => {
    expect(podArg("web")).toBe("web");
    expect(podArg("pod/web")).toBe("web");
    expect(podArg("po/web")).toBe("web");
    expect(() => podArg("node/n1")).toThrow("only pods have logs");
  });

  it("exit codes pass through when a process can exit with them", () => {
    expect(passableExitCode(3)).toBe(3);
    expect(passableExitCode(137)).toBe(137);
    expect(passableExitCode(-1)).toBe(1);
    expect(passableExitCode(300)).toBe(1);
  });
});

describe("logs -f", () => {
  /** A fake subscription that replays `script` against the handlers, and records the unsubscribe. */
  function fake(script: (h: StreamHandlers<{ line: string }>) => void) {
    const state = { unsubscribed: false };
    const subscribe = (h: StreamHandlers<{ line: string }>) => {
      setTimeout(() => script(h), 0);
      return { unsubscribe: () => (state.unsubscribed = true) };
    };
    return { state, subscribe };
  }

  it("prints lines until the server ends the stream (the container stopped)", async () => {
    const lines: string[] = [];
    const f = fake((h) => {
      h.onData({ line: "a" });
      h.onData({ line: "b" });
      h.onComplete();
    });
    await followLines(f.subscribe, (l) => lines.push(l));
    expect(lines).toEqual(["a", "b"]);
    expect(f.state.unsubscribed).toBe(true);
  });

  // Reconnecting would replay the log from its start, so a lost stream ends the command with its error.
  it("stops with the error when the link starts reconnecting", async () => {
    const f = fake((h) => h.onConnectionStateChange({ state: "connecting", error: new Error("kubelet gone") }));
    await expect(followLines(f.subscribe, () => {})).rejects.toThrow("kubelet gone");
    expect(f.state.unsubscribed).toBe(true);
  });

  it("the first connecting state (no error yet) is not a failure", async () => {
    const f = fake((h) => {
      h.onConnectionStateChange({ state: "connecting", error: null });
      h.onComplete();
    });
    await expect(followLines(f.subscribe, () => {})).resolves.toBeUndefined();
  });
});
