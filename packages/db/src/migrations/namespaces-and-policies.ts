import { StatementMigration } from "./statements.js";

// Namespaces and NetworkPolicies (docs/architecture.md, "Network policies"). Every pod belongs to one
// namespace and its name is unique within it, as in Kubernetes; pods made before namespaces existed
// move into "default". A namespace cannot go while pods reference it (the namespace controller deletes
// them first); its policies go with it.

const UP = [
  `create table "namespace" (
    "name" text not null,
    "uid" uuid not null,
    "labels" jsonb not null,
    "status" text not null default 'Active',
    "created_at" timestamptz not null,
    "updated_at" timestamptz not null,
    constraint "namespace_pkey" primary key ("name"),
    constraint "namespace_status_check" check ("status" in ('Active', 'Terminating'))
  )`,
  `insert into "namespace" ("name", "uid", "labels", "status", "created_at", "updated_at")
   values ('default', gen_random_uuid(), '{}'::jsonb, 'Active', now(), now())`,
  `alter table "pod" add column "namespace" text not null default 'default'`,
  // The default only moves existing pods; every insert names its namespace.
  `alter table "pod" alter column "namespace" drop default`,
  `alter table "pod" drop constraint "pod_name_unique"`,
  `alter table "pod" add constraint "pod_namespace_name_unique" unique ("namespace", "name")`,
  `alter table "pod" add constraint "pod_namespace_foreign" foreign key ("namespace") references "namespace" ("name") on update no action on delete no action`,
  `create table "network_policy" (
    "namespace" text not null,
    "name" text not null,
    "uid" uuid not null,
    "spec" jsonb not null,
    "generation" int not null default 1,
    "created_at" timestamptz not null,
    "updated_at" timestamptz not null,
    constraint "network_policy_pkey" primary key ("namespace", "name"),
    constraint "network_policy_namespace_foreign" foreign key ("namespace") references "namespace" ("name") on update no action on delete cascade
  )`,
  `alter table "event" drop constraint "event_object_kind_check"`,
  `alter table "event" add constraint "event_object_kind_check" check ("object_kind" in ('Node', 'Pod', 'Cluster', 'Namespace', 'NetworkPolicy', 'NodeGroup'))`,
];

const DOWN = [
  `delete from "event" where "object_kind" not in ('Node', 'Pod', 'Cluster')`,
  `alter table "event" drop constraint "event_object_kind_check"`,
  `alter table "event" add constraint "event_object_kind_check" check ("object_kind" in ('Node', 'Pod', 'Cluster'))`,
  `drop table "network_policy"`,
  `alter table "pod" drop constraint "pod_namespace_foreign"`,
  `alter table "pod" drop constraint "pod_namespace_name_unique"`,
  `alter table "pod" add constraint "pod_name_unique" unique ("name")`,
  `alter table "pod" drop column "namespace"`,
  `drop table "namespace"`,
];

/** Namespaces (pods move into "default"), pod names unique per namespace, NetworkPolicies. */
export class Migration20261129300000NamespacesAndPolicies extends StatementMigration {
  protected readonly statements = { up: UP, down: DOWN };
}
