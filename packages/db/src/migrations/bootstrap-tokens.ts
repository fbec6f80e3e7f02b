import { StatementMigration } from "./statements.js";

// Bootstrap tokens (docs/architecture.md, "Nodes from other machines"): what `kube9 agent join` shows
// to register a node from another machine, like kubeadm's. Only the hash of a token is stored; the id
// is its public part, for listing and deleting.

const UP = [
  `create table "bootstrap_token" (
    "id" text not null,
    "secret_hash" text not null,
    "description" text not null default '',
    "expires_at" timestamptz not null,
    "created_at" timestamptz not null,
    "last_used_at" timestamptz null,
    "uses" int not null default 0,
    constraint "bootstrap_token_pkey" primary key ("id")
  )`,
];

const DOWN = [`drop table "bootstrap_token"`];

/** The bootstrap_token table. */
export class Migration20261130000000BootstrapTokens extends StatementMigration {
  protected readonly statements = { up: UP, down: DOWN };
}
