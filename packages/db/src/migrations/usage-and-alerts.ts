import { StatementMigration } from "./statements.js";

// Usage history and alerting settings (docs/architecture.md, "Usage and alerts"). One row per
// object per 10 s: the object's uuid (node, pod, or the nil uuid for the cluster), the bucket's start
// in unix seconds, and the averages. A BRIN index on t keeps the retention delete cheap: rows arrive
// in time order, and a B-tree on t would cost as much as the rows themselves.

const UP = [
  `create table "usage_history" (
    "object_id" uuid not null,
    "t" int not null,
    "cpu_milli" real not null,
    "memory_mib" real not null,
    constraint "usage_history_pkey" primary key ("object_id", "t")
  )`,
  `create index "usage_history_t_brin" on "usage_history" using brin ("t")`,
  `alter table "cluster" add column "alerting" jsonb null`,
];

const DOWN = [`alter table "cluster" drop column "alerting"`, `drop table "usage_history"`];

/** The 10 s usage history table; alert rules and the webhook on the cluster row. */
export class Migration20261129100000UsageAndAlerts extends StatementMigration {
  protected readonly statements = { up: UP, down: DOWN };
}
