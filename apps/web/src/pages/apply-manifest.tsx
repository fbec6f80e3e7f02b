import { useState } from "react";
import { parseAllDocuments } from "yaml";
import { errorMessage } from "../api";
import { useLive } from "../live";

const EXAMPLE = `apiVersion: v1
kind: Pod
metadata:
  name: ticker
spec:
  containers:
    - name: main
      image: busybox
      command: ["sh", "-c", "echo hi; while true; do echo tick; sleep 1; done"]
      resources:
        limits: { cpu: 250m, memory: 64Mi }`;

interface Outcome {
  name: string;
  text: string;
}

/** The manifests in a YAML (or JSON, which is YAML) text, one per document; a syntax error names its line. */
export function parseManifests(text: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const err = doc.errors[0];
    if (err) throw new Error(`YAML: ${err.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  if (out.length === 0) throw new Error("the manifest is empty");
  return out;
}

/** Applies Pod manifests (kube9 apply -f in a text area); the server's field errors show one per line. */
export function ApplyManifestForm() {
  const { client } = useLive();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [done, setDone] = useState<Outcome[]>([]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    setDone([]);
    const outcomes: Outcome[] = [];
    const failures: string[] = [];
    try {
      for (const manifest of parseManifests(text)) {
        try {
          const r = await client.pods.applyManifest.mutate({ manifest });
          const where = r.scheduled ? `on ${r.pod.nodeName}` : `Pending: ${r.message}`;
          outcomes.push({ name: r.pod.name, text: `pod/${r.pod.name} ${r.action} (${where})` });
        } catch (err) {
          // The API joins a manifest's field errors with "; " (one per bad field).
          failures.push(...errorMessage(err).split("; "));
        }
      }
    } catch (err) {
      failures.push(errorMessage(err));
    } finally {
      setBusy(false);
    }
    setErrors(failures);
    setDone(outcomes);
    // The form stays open: its outcome links lead to the new pods.
    if (failures.length === 0 && outcomes.length > 0) setText("");
  };
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} data-testid="apply-form">
      <h2>Apply a Pod manifest</h2>
      <p className="muted small">YAML or JSON, as for kubectl apply -f; several documents apply in order. Pods are immutable: the same manifest again changes nothing.</p>
      <textarea className="manifest" value={text} onChange={(e) => setText(e.target.value)} placeholder={EXAMPLE} spellCheck={false} data-testid="manifest-input" />
      <div className="actions">
        <button disabled={busy || !text.trim()} data-testid="apply-submit">
          {busy ? "Applying…" : "Apply"}
        </button>
        {done.map((o) => (
          <a key={o.name} href={`#/pods/${encodeURIComponent(o.name)}`} className="small">
            {o.text}
          </a>
        ))}
      </div>
      {errors.length > 0 && (
        <ul className="field-errors" data-testid="manifest-errors">
          {errors.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </form>
  );
}
