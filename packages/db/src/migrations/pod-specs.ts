import { StatementMigration } from "./statements.js";

// Pods that run containers: the normalized spec (the old, never written `workload` column becomes
// `spec`), the status its node reports (Kubernetes phase, container statuses, conditions, pod IP),
// and where the API reaches each node's kubelet server (logs, exec).

const UP = [
  `alter table "pod" rename column "workload" to "spec"`,
  `alter table "pod" add column "pod_status" jsonb null`,
  `alter table "node" add column "kubelet" jsonb null`,
];

const DOWN = [
  `alter table "node" drop column "kubelet"`,
  `alter table "pod" drop column "pod_status"`,
  `alter table "pod" rename column "spec" to "workload"`,
];

/** Pod specs and reported statuses; kubelet endpoints of nodes. */
export class Migration20261129000000PodSpecs extends StatementMigration {
  protected readonly statements = { up: UP, down: DOWN };
}
