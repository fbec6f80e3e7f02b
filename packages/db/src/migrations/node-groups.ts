import { StatementMigration } from "./statements.js";

// Node groups for the autoscaler (docs/architecture.md, "Autoscaling"): what each group's nodes look
// like, its bounds and settings, and its status (last scale-up, backoff) so a restarted or newly
// elected API carries on where the last one stopped. Nodes belong to a group by a label, not a column:
// a node row is the same whoever made it.

const UP = [
  `create table "node_group" (
    "name" text not null,
    "min_size" int not null,
    "max_size" int not null,
    "priority" int not null default 0,
    "template" jsonb not null,
    "settings" jsonb not null,
    "status" jsonb null,
    "created_at" timestamptz not null,
    "updated_at" timestamptz not null,
    constraint "node_group_pkey" primary key ("name"),
    constraint "node_group_size_valid" check ("min_size" >= 0 and "min_size" <= "max_size")
  )`,
  `alter table "cluster" add column "autoscaler" jsonb null`,
];

const DOWN = [`alter table "cluster" drop column "autoscaler"`, `drop table "node_group"`];

/** The node_group table; the cluster's autoscaler settings (the expander). */
export class Migration20261129200000NodeGroups extends StatementMigration {
  protected readonly statements = { up: UP, down: DOWN };
}
