import { describe, expect, it } from "vitest";
import { alertFingerprint, alertLabels, evaluateAlertRules } from "./evaluate.js";
import type { ActiveAlert, AlertRule, MetricSample } from "./types.js";

const CPU = "kube9_node_cpu_usage_ratio";

function rule(patch: Partial<AlertRule> = {}): AlertRule {
  return {
    name: "CPUHigh",
    expr: `${CPU} > 0.9`,
    forMs: 3000,
    labels: { severity: "warning" },
    annotations: { summary: "{{ $labels.node }} at {{ $value | humanizePercentage }}" },
    builtin: false,
    enabled: true,
    ...patch,
  };
}

const cpu = (node: string, value: number): MetricSample => ({ metric: CPU, labels: { node }, value });

/** One evaluation per step, each fed the last one's active alerts; returns "t to alertname/node" lines and the states. */
function run(steps: { t: number; samples: MetricSample[]; rules?: AlertRule[] }[], rules: AlertRule[] = [rule()]) {
  let active = new Map<string, ActiveAlert>();
  const transitions: string[] = [];
  const states: string[] = [];
  for (const step of steps) {
    const out = evaluateAlertRules(step.rules ?? rules, step.samples, active, step.t);
    for (const tr of out.transitions) transitions.push(`${tr.at} ${tr.to} ${tr.alert.labels.alertname}/${tr.alert.labels.node}`);
    states.push([...out.active.values()].map((a) => `${a.labels.node}:${a.state}`).join(",") || "-");
    active = out.active;
  }
  return { transitions, states, active };
}

describe("evaluateAlertRules: pending, firing, resolved", () => {
  const cases: { name: string; steps: { t: number; samples: MetricSample[]; rules?: AlertRule[] }[]; rules?: AlertRule[]; transitions: string[]; states: string[] }[] = [
    {
      // 0.95 > 0.9 held since t=0; for 3s: pending at 0, 1000, 2000 (2000 - 0 < 3000), fires at 3000 (3000 - 0 >= 3000),
      // stays firing at 4000 with no new transition, resolves at 5000 when 0.5 no longer holds
      name: "for 3s: pending -> firing -> resolved",
      steps: [0, 1000, 2000, 3000, 4000].map((t) => ({ t, samples: [cpu("n1", 0.95)] })).concat([{ t: 5000, samples: [cpu("n1", 0.5)] }]),
      transitions: ["0 pending CPUHigh/n1", "3000 firing CPUHigh/n1", "5000 resolved CPUHigh/n1"],
      states: ["n1:pending", "n1:pending", "n1:pending", "n1:firing", "n1:firing", "-"],
    },
    {
      // evaluations need not be regular: at 2500 only 2500 ms have passed, at 3100 3100 >= 3000 fires
      name: "for 3s, irregular evaluations",
      steps: [0, 2500, 3100].map((t) => ({ t, samples: [cpu("n1", 0.95)] })),
      transitions: ["0 pending CPUHigh/n1", "3100 firing CPUHigh/n1"],
      states: ["n1:pending", "n1:pending", "n1:firing"],
    },
    {
      // for 0s: Prometheus fires at the first evaluation and reports no pending
      name: "for 0s fires at once",
      rules: [rule({ forMs: 0 })],
      steps: [{ t: 0, samples: [cpu("n1", 0.95)] }, { t: 1000, samples: [cpu("n1", 0.95)] }, { t: 2000, samples: [] }],
      transitions: ["0 firing CPUHigh/n1", "2000 resolved CPUHigh/n1"],
      states: ["n1:firing", "n1:firing", "-"],
    },
    {
      // pending at 0, gone at 2000 (before 3000): dropped with no transition; back at 3000 it starts over,
      // so it fires at 6000 (3000 + 3000), not at 3000
      name: "pending dropped silently, then starts over",
      steps: [
        { t: 0, samples: [cpu("n1", 0.95)] },
        { t: 1000, samples: [cpu("n1", 0.95)] },
        { t: 2000, samples: [cpu("n1", 0.85)] },
        { t: 3000, samples: [cpu("n1", 0.95)] },
        { t: 5000, samples: [cpu("n1", 0.95)] },
        { t: 6000, samples: [cpu("n1", 0.95)] },
      ],
      transitions: ["0 pending CPUHigh/n1", "3000 pending CPUHigh/n1", "6000 firing CPUHigh/n1"],
      states: ["n1:pending", "n1:pending", "-", "n1:pending", "n1:pending", "n1:firing"],
    },
    {
      // a series that stops being reported at all is the same as one that stops holding
      name: "series disappears while firing",
      rules: [rule({ forMs: 0 })],
      steps: [{ t: 0, samples: [cpu("n1", 0.95), cpu("n2", 0.95)] }, { t: 1000, samples: [cpu("n2", 0.95)] }],
      transitions: ["0 firing CPUHigh/n1", "0 firing CPUHigh/n2", "1000 resolved CPUHigh/n1"],
      states: ["n1:firing,n2:firing", "n2:firing"],
    },
    {
      // each series has its own clock: n1 from 0 fires at 3000, n2 from 2000 fires at 5000
      name: "series are independent",
      steps: [
        { t: 0, samples: [cpu("n1", 0.95), cpu("n2", 0.5)] },
        { t: 2000, samples: [cpu("n1", 0.95), cpu("n2", 0.95)] },
        { t: 3000, samples: [cpu("n1", 0.95), cpu("n2", 0.95)] },
        { t: 5000, samples: [cpu("n1", 0.95), cpu("n2", 0.95)] },
      ],
      transitions: ["0 pending CPUHigh/n1", "2000 pending CPUHigh/n2", "3000 firing CPUHigh/n1", "5000 firing CPUHigh/n2"],
      states: ["n1:pending", "n1:pending,n2:pending", "n1:firing,n2:pending", "n1:firing,n2:firing"],
    },
    {
      // firing at 0 (for 0s); disabled at 1000: resolved; the pending one (for 3s, other rule) just goes
      name: "disabled rule resolves firing, drops pending",
      rules: [rule({ forMs: 0 }), rule({ name: "Slow", forMs: 3000 })],
      steps: [
        { t: 0, samples: [cpu("n1", 0.95)] },
        { t: 1000, samples: [cpu("n1", 0.95)], rules: [rule({ forMs: 0, enabled: false }), rule({ name: "Slow", forMs: 3000, enabled: false })] },
      ],
      transitions: ["0 firing CPUHigh/n1", "0 pending Slow/n1", "1000 resolved CPUHigh/n1"],
      states: ["n1:firing,n1:pending", "-"],
    },
    {
      // the same with the rules removed from the list
      name: "removed rule resolves firing, drops pending",
      rules: [rule({ forMs: 0 }), rule({ name: "Slow", forMs: 3000 })],
      steps: [{ t: 0, samples: [cpu("n1", 0.95)] }, { t: 1000, samples: [cpu("n1", 0.95)], rules: [] }],
      transitions: ["0 firing CPUHigh/n1", "0 pending Slow/n1", "1000 resolved CPUHigh/n1"],
      states: ["n1:firing,n1:pending", "-"],
    },
    {
      // for raised from 3s to 10s while pending: the new for counts from the same activeAt (fires at 10 000)
      name: "for changed while pending",
      steps: [
        { t: 0, samples: [cpu("n1", 0.95)] },
        { t: 3000, samples: [cpu("n1", 0.95)], rules: [rule({ forMs: 10_000 })] },
        { t: 10_000, samples: [cpu("n1", 0.95)], rules: [rule({ forMs: 10_000 })] },
      ],
      transitions: ["0 pending CPUHigh/n1", "10000 firing CPUHigh/n1"],
      states: ["n1:pending", "n1:pending", "n1:firing"],
    },
    {
      // NaN > 0.9 is false: no alert; samples of other metrics are not this rule's
      name: "NaN and other metrics never hold",
      steps: [{ t: 0, samples: [cpu("n1", NaN), { metric: "kube9_node_memory_usage_ratio", labels: { node: "n2" }, value: 1 }] }],
      transitions: [],
      states: ["-"],
    },
    {
      // an expression that does not parse matches nothing and does not stop the other rule
      name: "bad expression is skipped",
      rules: [rule({ name: "Broken", expr: "up > 1" }), rule({ forMs: 0 })],
      steps: [{ t: 0, samples: [cpu("n1", 0.95)] }],
      transitions: ["0 firing CPUHigh/n1"],
      states: ["n1:firing"],
    },
  ];
  it.each(cases)("$name", ({ steps, rules, transitions, states }) => {
    const got = run(steps, rules);
    expect(got.transitions).toEqual(transitions);
    expect(got.states).toEqual(states);
  });

  it("keeps activeAt and firedAt, updates value and annotations", () => {
    // 0.95 at 0 (pending), 0.97 at 3000 (fires), 0.99 at 4000 (still firing: activeAt 0, firedAt 3000)
    const { active } = run([
      { t: 0, samples: [cpu("n1", 0.95)] },
      { t: 3000, samples: [cpu("n1", 0.97)] },
      { t: 4000, samples: [cpu("n1", 0.99)] },
    ]);
    const [alert] = [...active.values()];
    expect(alert).toEqual({
      rule: "CPUHigh",
      fingerprint: alertFingerprint({ alertname: "CPUHigh", node: "n1", severity: "warning" }),
      labels: { node: "n1", severity: "warning", alertname: "CPUHigh" },
      annotations: { summary: "n1 at 99%" },
      state: "firing",
      activeAt: 0,
      firedAt: 3000,
      value: 0.99,
    });
  });

  it("the resolved transition carries the alert as it last was", () => {
    // fired at 0 with 0.95, resolved at 1000
    const first = evaluateAlertRules([rule({ forMs: 0 })], [cpu("n1", 0.95)], new Map(), 0);
    const second = evaluateAlertRules([rule({ forMs: 0 })], [], first.active, 1000);
    expect(second.transitions).toEqual([{ to: "resolved", at: 1000, alert: [...first.active.values()][0] }]);
    expect(second.active.size).toBe(0);
  });

  it("does not change the previous map or its alerts", () => {
    const first = evaluateAlertRules([rule()], [cpu("n1", 0.95)], new Map(), 0);
    const snapshot = structuredClone([...first.active]);
    // 3000 - 0 >= 3000: fires, in a new object
    evaluateAlertRules([rule()], [cpu("n1", 0.96)], first.active, 3000);
    expect([...first.active]).toEqual(snapshot);
  });
});

describe("evaluateAlertRules: which series hold", () => {
  const samples = [cpu("n1", 0.5), cpu("n2", 0.9), cpu("n3", 0.95)];
  const cases: { expr: string; want: string[] }[] = [
    // values 0.5, 0.9, 0.95 against 0.9 with each operator
    { expr: `${CPU} > 0.9`, want: ["n3"] },
    { expr: `${CPU} >= 0.9`, want: ["n2", "n3"] },
    { expr: `${CPU} < 0.9`, want: ["n1"] },
    { expr: `${CPU} <= 0.9`, want: ["n1", "n2"] },
    { expr: `${CPU} == 0.9`, want: ["n2"] },
    { expr: `${CPU} != 0.9`, want: ["n1", "n3"] },
    // = keeps only n2's series; 0.9 >= 0.9
    { expr: `${CPU}{node="n2"} >= 0.9`, want: ["n2"] },
    // != drops n3's; of n1 (0.5) and n2 (0.9) only n2 is >= 0.9
    { expr: `${CPU}{node!="n3"} >= 0.9`, want: ["n2"] },
    // both: not n1, not n3 -> n2 with 0.9 > 0
    { expr: `${CPU}{node!="n1",node!="n3"} > 0`, want: ["n2"] },
    // = a node with no sample: nothing
    { expr: `${CPU}{node="n9"} > 0`, want: [] },
  ];
  it.each(cases)("$expr -> $want", ({ expr, want }) => {
    const { active } = evaluateAlertRules([rule({ expr, forMs: 0 })], samples, new Map(), 0);
    expect([...active.values()].map((a) => a.labels.node)).toEqual(want);
  });
});

describe("alert labels", () => {
  it("are the series' labels, then the rule's (which override), then alertname", () => {
    // the series says node=n1 and alertname=x; the rule says node=all: node=all, alertname=the rule's name
    const r = rule({ labels: { node: "all", severity: "critical" } });
    expect(alertLabels(r, { node: "n1", alertname: "x", zone: "a" })).toEqual({ node: "all", zone: "a", severity: "critical", alertname: "CPUHigh" });
  });

  it("two series that rule labels make one: the first stands, once", () => {
    // node=all for both n1 and n2 -> one label set; n1 (first) is the alert, with n1's value 0.95
    const { active, transitions } = evaluateAlertRules([rule({ forMs: 0, labels: { node: "all" } })], [cpu("n1", 0.95), cpu("n2", 0.99)], new Map(), 0);
    expect([...active.values()].map((a) => [a.labels.node, a.value])).toEqual([["all", 0.95]]);
    expect(transitions).toHaveLength(1);
  });

  it("annotations are expanded per series with its labels and value", () => {
    const r = rule({ forMs: 0, annotations: { summary: "{{ $labels.node }} {{ $value }} [{{ $labels.severity }}]", runbook: "https://x/{{ $labels.alertname }}" } });
    const { active } = evaluateAlertRules([r], [cpu("n1", 0.95), cpu("n2", 0.97)], new Map(), 0);
    expect([...active.values()].map((a) => a.annotations)).toEqual([
      { summary: "n1 0.95 [warning]", runbook: "https://x/CPUHigh" },
      { summary: "n2 0.97 [warning]", runbook: "https://x/CPUHigh" },
    ]);
  });
});

describe("alertFingerprint", () => {
  it("depends on the labels, not their order", () => {
    expect(alertFingerprint({ a: "1", b: "2" })).toBe(alertFingerprint({ b: "2", a: "1" }));
    expect(alertFingerprint({ a: "1", b: "2" })).toMatch(/^[0-9a-f]{16}$/);
  });
  it("tells different label sets apart, including ones that print alike", () => {
    const sets = [{}, { a: "1" }, { a: "2" }, { b: "1" }, { a: "1", b: "" }, { a: '1",b="' }, { "a,b": "1" }];
    expect(new Set(sets.map(alertFingerprint)).size).toBe(sets.length);
  });
  it("is the active map's key", () => {
    const { active } = evaluateAlertRules([rule({ forMs: 0 })], [cpu("n1", 1)], new Map(), 0);
    for (const [key, alert] of active) expect(key).toBe(alert.fingerprint);
  });
});
