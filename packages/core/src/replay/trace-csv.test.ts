import { describe, expect, it } from "vitest";
import { parseTraceNodes, parseTracePods, TraceParseError } from "./trace-csv.js";

describe("parseTraceNodes", () => {
  it("reads the columns it needs by name and keeps file order", () => {
    const text = "sn,cpu_milli,memory_mib,gpu,model\r\nn-2,32000,262144,0,\r\nn-1,4000,1024,8,V100\r\n";
    expect(parseTraceNodes(text)).toEqual([
      { name: "n-2", cpuMilli: 32000, memoryMiB: 262144 },
      { name: "n-1", cpuMilli: 4000, memoryMiB: 1024 },
    ]);
  });
});

describe("parseTracePods", () => {
  it("reads a pod and ignores the GPU columns", () => {
    const text = [
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time",
      "p-0,12000,16384,1,1000,,LS,Running,0,12537496,0",
      "",
    ].join("\n");
    expect(parseTracePods(text)).toEqual([
      { name: "p-0", cpuMilli: 12000, memoryMiB: 16384, creationTime: 0, deletionTime: 12537496 },
    ]);
  });
});

const PODS = "name,cpu_milli,memory_mib,creation_time,deletion_time\n";

describe("errors name the line and the column", () => {
  it.each([
    ["", /^line 1: missing header row$/],
    ["name,cpu_milli\n", /^line 1: missing columns memory_mib, creation_time, deletion_time/],
    [PODS + "p,1,1,0,5\nq,abc,1,0,5\n", /^line 3, column cpu_milli: expected a whole number >= 0, got "abc"$/],
    [PODS + "p,1,-1,0,5\n", /^line 2, column memory_mib: expected a whole number >= 0, got "-1"$/],
    [PODS + "p,1,1,0\n", /^line 2: expected 5 fields, got 4$/],
    [PODS + "p,1,1,0,5\np,1,1,0,5\n", /^line 3, column name: duplicate name "p"$/],
    [PODS + ",1,1,0,5\n", /^line 2, column name: empty name$/],
    [PODS + "p,1,1,9,5\n", /^line 2, column deletion_time: 5 is before creation_time 9$/],
    [PODS + '"p",1,1,0,5\n', /^line 2: quoted fields are not supported$/],
  ])("%j", (text, message) => {
    expect(() => parseTracePods(text)).toThrow(TraceParseError);
    expect(() => parseTracePods(text)).toThrow(message);
  });

  it("reports the line and column as fields too", () => {
    try {
      parseTraceNodes("sn,cpu_milli,memory_mib\nn,4000,lots\n");
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ line: 2, column: "memory_mib" });
    }
  });
});
