import { useState } from "react";
import { parseLabels, POLICIES, type Policy } from "../api";
import { splitCommand } from "../containers";
import { useLive } from "../live";
import { FormActions, objectInput, SizeFields, TextField, useObjectFields } from "../object-form";
import { useAction } from "../ui";

const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;

/** A number typed in a form, or an error naming the field (the API would only say "expected number"). */
function numberField(label: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${label}: "${text}" is not a number`);
  return n;
}

/** The image, command and limits of the pod's one container; empty fields are left out. */
function containerInput(f: { image: string; command: string; limitCpu: string; limitMemory: string; restartPolicy: string }) {
  return {
    ...(f.image.trim() ? { image: f.image.trim() } : {}),
    ...(f.command.trim() ? { command: splitCommand(f.command) } : {}),
    ...(f.limitCpu.trim() ? { limitCpu: numberField("CPU limit", f.limitCpu) } : {}),
    ...(f.limitMemory.trim() ? { limitMemoryMiB: numberField("Memory limit", f.limitMemory) } : {}),
    ...(f.restartPolicy ? { restartPolicy: f.restartPolicy as (typeof RESTART_POLICIES)[number] } : {}),
  };
}

/** Launches a pod: a size only (a placeholder holding its request), or an image with a command and limits. */
export function LaunchForm({ onDone }: { onDone(): void }) {
  const { client } = useLive();
  const form = useObjectFields({ cpu: "0.5", memory: "256" });
  const [algorithm, setAlgorithm] = useState("");
  const [selector, setSelector] = useState("");
  const [c, setC] = useState({ image: "", command: "", limitCpu: "", limitMemory: "", restartPolicy: "" });
  const setField = (key: keyof typeof c) => (value: string) => setC((old) => ({ ...old, [key]: value }));
  const [result, setResult] = useState("");
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setResult("");
    void action.run(async () => {
      // With an image, the request may come from the limits (Kubernetes defaults requests to limits).
      const { cpu, ...rest } = objectInput(form.fields);
      const r = await client.pods.launch.mutate({
        ...rest,
        ...(form.fields.cpu.trim() ? { cpu } : {}),
        ...containerInput(c),
        ...(algorithm ? { algorithm: algorithm as Policy } : {}),
        ...(selector.trim() ? { nodeSelector: parseLabels(selector) } : {}),
      });
      setResult(r.scheduled ? `${r.pod.name} placed on ${r.pod.nodeName}: ${r.message}` : `${r.pod.name} is Pending: ${r.message}`);
      form.set("name")("");
      if (r.scheduled) onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="launch-form">
      <h2>Launch a pod</h2>
      <div className="fields">
        <SizeFields kind="pod" form={form} />
        <label>
          Algorithm
          <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value)} data-testid="pod-algorithm">
            <option value="">cluster default</option>
            {POLICIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <TextField label="Labels" value={form.fields.labels} onChange={form.set("labels")} placeholder="app=web" />
        <TextField label="Node selector" value={selector} onChange={setSelector} placeholder="zone=a" />
        <TextField label="Image (optional)" value={c.image} onChange={setField("image")} placeholder="busybox" testid="pod-image" />
        <TextField label="Command" value={c.command} onChange={setField("command")} placeholder={`sh -c 'echo hi; sleep 3600'`} testid="pod-command" />
        <TextField label="CPU limit (cores)" value={c.limitCpu} onChange={setField("limitCpu")} inputMode="decimal" testid="pod-limit-cpu" />
        <TextField label="Memory limit (MiB)" value={c.limitMemory} onChange={setField("limitMemory")} inputMode="decimal" testid="pod-limit-memory" />
        <label>
          Restart policy
          <select value={c.restartPolicy} onChange={(e) => setField("restartPolicy")(e.target.value)}>
            <option value="">default (Always)</option>
            {RESTART_POLICIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
      </div>
      <FormActions action={action} label="Launch" busyLabel="Launching…" testid="launch-submit">
        {result && <span className="muted">{result}</span>}
      </FormActions>
    </form>
  );
}
