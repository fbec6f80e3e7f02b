import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { AlertRuleDTO } from "../api";
import { useAlertRules } from "../alerts";
import { useLive } from "../live";
import { TableCard, useAction } from "../ui";

/** The rules in effect (built-in first), each editable in its row: threshold, `for:`, enabled. */
export function AlertRules() {
  const rules = useAlertRules();
  return (
    <TableCard title="Rules" columns={["Name", "Expression", "For", "Enabled", ""]} testid="alert-rules" className="rules" error={rules.isError ? String(rules.error.message) : undefined}>
      {(rules.data ?? []).map((r) => (
        <RuleRow key={r.name} rule={r} />
      ))}
    </TableCard>
  );
}

/** The expression up to its threshold ("kube9_node_cpu_usage_ratio >"): rules compare one selector with a number. */
function selectorOf(expr: string): string {
  return /^(.*?\S)\s*(>=|<=|==|!=|>|<)\s*\S+\s*$/.exec(expr)?.slice(1).join(" ") ?? expr;
}

function RuleRow({ rule: r }: { rule: AlertRuleDTO }) {
  const { client } = useLive();
  const qc = useQueryClient();
  const action = useAction();
  const [edit, setEdit] = useState<{ threshold: string; for: string; enabled: boolean } | null>(null);
  const done = async () => {
    await qc.invalidateQueries({ queryKey: ["alert-rules"] });
    setEdit(null);
  };
  const save = (e: React.FormEvent) => {
    e.preventDefault();
    if (!edit) return;
    void action.run(async () => {
      // A blank threshold keeps the rule's. Anything else goes to the API, which says what is wrong with it:
      // text that is not a number goes as typed, so the message quotes it (NaN would travel as null).
      const typed = edit.threshold.trim();
      const threshold = typed === "" ? undefined : Number.isFinite(Number(typed)) ? Number(typed) : (typed as unknown as number);
      await client.alerts.setRule.mutate({ name: r.name, for: edit.for.trim(), enabled: edit.enabled, ...(threshold !== undefined ? { threshold } : {}) });
      await done();
    });
  };
  const id = `rule-${r.name}`;
  // The inputs sit in other cells than the form's buttons; form= ties them to it, so Enter saves.
  const form = `${id}-form`;
  return (
    <>
      <tr data-testid={id} data-enabled={r.enabled} className={r.enabled ? "" : "disabled"}>
        <td>
          <span className="mono small">{r.name}</span> {r.builtin && <span className={`badge ${r.modified ? "s-Pending" : ""}`}>{r.modified ? "built-in, changed" : "built-in"}</span>}
        </td>
        <td className="mono small">
          {edit ? (
            <label className="inline-field">
              {selectorOf(r.expr)}
              <input form={form} value={edit.threshold} onChange={(e) => setEdit({ ...edit, threshold: e.target.value })} size={8} aria-label={`${r.name} threshold`} data-testid={`${id}-threshold`} />
            </label>
          ) : (
            r.expr
          )}
        </td>
        <td>
          {edit ? (
            <input form={form} value={edit.for} onChange={(e) => setEdit({ ...edit, for: e.target.value })} size={6} aria-label={`${r.name} for`} data-testid={`${id}-for`} />
          ) : (
            r.for
          )}
        </td>
        <td>
          {edit ? (
            <input form={form} type="checkbox" checked={edit.enabled} onChange={(e) => setEdit({ ...edit, enabled: e.target.checked })} aria-label={`${r.name} enabled`} data-testid={`${id}-enabled`} />
          ) : r.enabled ? (
            "yes"
          ) : (
            <span className="muted">no</span>
          )}
        </td>
        <td className="row-buttons">
          {edit ? (
            <form id={form} onSubmit={save}>
              <button disabled={action.busy} className="small-btn" data-testid={`${id}-save`}>
                Save
              </button>{" "}
              <button
                type="button"
                className="secondary small-btn"
                onClick={() => {
                  setEdit(null);
                  action.clear();
                }}
              >
                Cancel
              </button>
            </form>
          ) : (
            <>
              <button className="secondary small-btn" onClick={() => setEdit({ threshold: String(r.threshold), for: r.for, enabled: r.enabled })} data-testid={`${id}-edit`}>
                Edit
              </button>{" "}
              {r.modified && (
                <button className="secondary small-btn" disabled={action.busy} onClick={() => void action.run(async () => (await client.alerts.deleteRule.mutate({ name: r.name }), done()))}>
                  Reset
                </button>
              )}
            </>
          )}
        </td>
      </tr>
      {action.error && (
        <tr>
          <td colSpan={5} className="error rule-error" data-testid={`${id}-error`}>
            {action.error}
          </td>
        </tr>
      )}
    </>
  );
}
