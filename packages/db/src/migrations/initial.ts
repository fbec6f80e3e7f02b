import { Migration } from "@mikro-orm/migrations";

// Hand-written so the exact SQL (constraints, identity columns, indexes) is reviewed, and so it
// runs unchanged on PostgreSQL 15 and PGlite. No semicolons inside statements: the PGlite
// adapter splits on them. entities.ts describes the same schema; a test checks that MikroORM
// sees no difference between the two, so change both together (in a new migration).

const UP = [
  `create table "cluster" (
    "id" uuid not null,
    "algorithm" text not null,
    "health" jsonb not null,
    "admin_token_hash" text null,
    "created_at" timestamptz not null,
    constraint "cluster_pkey" primary key ("id")
  )`,
  // At most one row: lets getCluster() create it with INSERT ... ON CONFLICT DO NOTHING.
  `create unique index "cluster_singleton" on "cluster" ((true))`,

  `create table "node" (
    "id" uuid not null,
    "seq" bigint generated always as identity,
    "name" text not null,
    "role" text not null,
    "runtime" text not null,
    "status" text not null,
    "status_reason" text null,
    "status_changed_at" timestamptz not null,
    "cpu_capacity" int not null,
    "memory_capacity" int not null,
    "cpu_allocated" int not null default 0,
    "memory_allocated" int not null default 0,
    "labels" jsonb not null,
    "pod_ids" jsonb not null,
    "components" jsonb not null,
    "usage" jsonb null,
    "container_id" text null,
    "recovery_attempts" int not null default 0,
    "credential_hash" text not null,
    "created_at" timestamptz not null,
    "updated_at" timestamptz not null,
    constraint "node_pkey" primary key ("id"),
    constraint "node_seq_unique" unique ("seq"),
    constraint "node_name_unique" unique ("name"),
    constraint "node_allocation_valid" check (
      "cpu_allocated" >= 0 and "cpu_allocated" <= "cpu_capacity"
      and "memory_allocated" >= 0 and "memory_allocated" <= "memory_capacity"
    )
  )`,

  `create table "node_lease" (
    "node_id" uuid not null,
    "renewed_at" timestamptz not null,
    "usage" jsonb null,
    constraint "node_lease_pkey" primary key ("node_id"),
    constraint "node_lease_node_id_foreign" foreign key ("node_id") references "node" ("id") on delete cascade
  )`,

  `create table "pod" (
    "id" uuid not null,
    "seq" bigint generated always as identity,
    "name" text not null,
    "status" text not null,
    "node_id" uuid null,
    "cpu_request" int not null,
    "memory_request" int not null,
    "labels" jsonb not null,
    "node_selector" jsonb not null,
    "algorithm" text null,
    "workload" jsonb null,
    "reason" text null,
    "message" text null,
    "restarts" int not null default 0,
    "created_at" timestamptz not null,
    "scheduled_at" timestamptz null,
    "started_at" timestamptz null,
    "finished_at" timestamptz null,
    "updated_at" timestamptz not null,
    constraint "pod_pkey" primary key ("id"),
    constraint "pod_seq_unique" unique ("seq"),
    constraint "pod_name_unique" unique ("name"),
    constraint "pod_request_valid" check ("cpu_request" >= 0 and "memory_request" >= 0),
    constraint "pod_node_id_foreign" foreign key ("node_id") references "node" ("id")
  )`,
  `create index "pod_node_id_index" on "pod" ("node_id")`,
  `create index "pod_status_seq_index" on "pod" ("status", "seq")`,

  `create table "event" (
    "id" bigint generated always as identity,
    "time" timestamptz not null,
    "type" text not null,
    "reason" text not null,
    "object_kind" text not null,
    "object_id" text null,
    "object_name" text not null,
    "message" text not null,
    constraint "event_pkey" primary key ("id"),
    constraint "event_object_kind_check" check ("object_kind" in ('Node', 'Pod', 'Cluster'))
  )`,
  `create index "event_object_id_index" on "event" ("object_id")`,
];

const DOWN = [
  `drop table if exists "event"`,
  `drop table if exists "pod"`,
  `drop table if exists "node_lease"`,
  `drop table if exists "node"`,
  `drop table if exists "cluster"`,
];

/** The initial schema: cluster, node, node_lease, pod, event. */
export class Migration20250601000000Initial extends Migration {
  override async up(): Promise<void> {
    for (const sql of UP) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const sql of DOWN) this.addSql(sql);
  }
}
