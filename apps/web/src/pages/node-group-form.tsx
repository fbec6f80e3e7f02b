import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { parseLabels, type RuntimeKind } from "../api";
import { useClusterStatus, useLive } from "../live";
import { FormActions, RuntimeSelect, TextField } from "../object-form";
import { useAction } from "../ui";

/**
 * A number as typed: text that is not one goes as typed, so the API's message names the field and
 * quotes it (NaN would travel as null and read "expected number, received null").
 */
function typed(text: string): number {
  const t = text.trim();
  return (Number.isFinite(Number(t)) && t !== "" ? Number(t) : t) as number;
}

const EMPTY = { name: "", min: "0", max: "3", cpu: "2", memory: "", runtime: "", labels: "" };

/** `kube9 nodegroup create` as a form; the API checks every field and its messages show as given. */
export function NodeGroupForm({ onDone }: { onDone(): void }) {
  const { client } = useLive();
  const qc = useQueryClient();
  const status = useClusterStatus();
  const [f, setF] = useState(EMPTY);
  const set = (key: keyof typeof EMPTY) => (value: string) => setF((old) => ({ ...old, [key]: value }));
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.nodeGroups.create.mutate({
        name: f.name.trim(),
        min: typed(f.min),
        max: typed(f.max),
        cpu: typed(f.cpu),
        ...(f.memory.trim() ? { memoryMiB: typed(f.memory) } : {}),
        ...(f.runtime ? { runtime: f.runtime as RuntimeKind } : {}),
        ...(f.labels.trim() ? { labels: parseLabels(f.labels) } : {}),
      });
      await qc.invalidateQueries({ queryKey: ["autoscaler"] });
      setF(EMPTY);
      onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="group-form">
      <h2>Create a node group</h2>
      <div className="fields">
        <TextField label="Name" value={f.name} onChange={set("name")} placeholder="web" testid="group-name" />
        <TextField label="Min nodes" value={f.min} onChange={set("min")} inputMode="decimal" testid="group-min" />
        <TextField label="Max nodes" value={f.max} onChange={set("max")} inputMode="decimal" testid="group-max" />
        <TextField label="CPU per node (cores)" value={f.cpu} onChange={set("cpu")} inputMode="decimal" testid="group-cpu" />
        <TextField label="Memory per node (MiB)" value={f.memory} onChange={set("memory")} placeholder="4096 per core" testid="group-memory" />
        <RuntimeSelect value={f.runtime} onChange={set("runtime")} defaultRuntime={status.data?.runtime} testid="group-runtime" />
        <TextField label="Node labels" value={f.labels} onChange={set("labels")} placeholder="tier=web" testid="group-labels" />
      </div>
      <p className="muted small">
        Nodes are named after the group and carry its labels; pods select them with a node selector. Other settings (delays, water marks) take their defaults; change them with{" "}
        <code>kube9 apply -f</code> and a NodeGroup manifest.
      </p>
      <FormActions action={action} label="Create group" busyLabel="Creating…" testid="group-submit" />
    </form>
  );
}
