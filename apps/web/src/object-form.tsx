import { useState, type ReactNode } from "react";
import { parseLabels, RUNTIME_KINDS } from "./api";
import { useAction } from "./ui";

// What the add-node and launch-pod forms share: a node and a pod are both created from a name, a size and labels.

/** The shared fields, as typed. */
export interface ObjectFields {
  name: string;
  cpu: string;
  memory: string;
  labels: string;
}

/** State for the shared fields, starting from the form's defaults for CPU and memory. */
export function useObjectFields(initial: { cpu: string; memory: string }): {
  fields: ObjectFields;
  set(key: keyof ObjectFields): (value: string) => void;
} {
  const [fields, setFields] = useState<ObjectFields>({ name: "", labels: "", ...initial });
  return { fields, set: (key) => (value) => setFields((f) => ({ ...f, [key]: value })) };
}

/** The shared fields as API input; empty name and memory are left out so the API picks them. */
export function objectInput(f: ObjectFields): { cpu: number; name?: string; memoryMiB?: number; labels?: Record<string, string> } {
  return {
    cpu: Number(f.cpu),
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    ...(f.memory.trim() ? { memoryMiB: Number(f.memory) } : {}),
    ...(f.labels.trim() ? { labels: parseLabels(f.labels) } : {}),
  };
}

/** A labelled text input. */
export function TextField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  placeholder?: string;
  inputMode?: "decimal";
  testid?: string;
}) {
  return (
    <label>
      {`${props.label} `}
      <input
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        placeholder={props.placeholder}
        inputMode={props.inputMode}
        data-testid={props.testid}
      />
    </label>
  );
}

/** Name, CPU and memory inputs; test ids are `<kind>-name`, `<kind>-cpu` and `<kind>-memory`. */
export function SizeFields({ kind, form, memoryPlaceholder }: { kind: string; form: ReturnType<typeof useObjectFields>; memoryPlaceholder?: string }) {
  const { fields, set } = form;
  return (
    <>
      <TextField label="Name" value={fields.name} onChange={set("name")} placeholder="generated" testid={`${kind}-name`} />
      <TextField label="CPU (cores)" value={fields.cpu} onChange={set("cpu")} inputMode="decimal" testid={`${kind}-cpu`} />
      <TextField label="Memory (MiB)" value={fields.memory} onChange={set("memory")} placeholder={memoryPlaceholder} testid={`${kind}-memory`} />
    </>
  );
}

/** The submit button (with its busy text) and the action's error; `children` adds more status after them. */
export function FormActions(props: {
  action: ReturnType<typeof useAction>;
  label: string;
  busyLabel: string;
  testid: string;
  children?: ReactNode;
}) {
  return (
    <div className="actions">
      <button disabled={props.action.busy} data-testid={props.testid}>
        {props.action.busy ? props.busyLabel : props.label}
      </button>
      {props.action.error && <span className="error">{props.action.error}</span>}
      {props.children}
    </div>
  );
}

/** The runtime for new nodes; "" is the cluster's default, named as the API reports it. */
export function RuntimeSelect(props: { value: string; onChange(value: string): void; defaultRuntime: string | undefined; testid: string }) {
  return (
    <label>
      Runtime
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)} data-testid={props.testid}>
        <option value="">default ({props.defaultRuntime ?? "…"})</option>
        {RUNTIME_KINDS.map((r) => (
          <option key={r} value={r}>
            {r === "hollow" ? "hollow (simulated)" : r}
          </option>
        ))}
      </select>
    </label>
  );
}
