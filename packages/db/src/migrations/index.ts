import type { Constructor } from "@mikro-orm/core";
import type { Migration } from "@mikro-orm/migrations";
import { Migration20250601000000Initial } from "./initial.js";
import { Migration20261129000000PodSpecs } from "./pod-specs.js";
import { Migration20261129100000UsageAndAlerts } from "./usage-and-alerts.js";
import { Migration20261129200000NodeGroups } from "./node-groups.js";
import { Migration20261129300000NamespacesAndPolicies } from "./namespaces-and-policies.js";
import { Migration20261130000000BootstrapTokens } from "./bootstrap-tokens.js";
import { MIGRATION_NAMES } from "./names.js";

/** Every migration in order (names are recorded in mikro_orm_migrations; never rename one; add each to names.ts too). */
export const MIGRATIONS: Array<{ name: string; class: Constructor<Migration> }> = [
  { name: "Migration20250601000000Initial", class: Migration20250601000000Initial },
  { name: "Migration20261129000000PodSpecs", class: Migration20261129000000PodSpecs },
  { name: "Migration20261129100000UsageAndAlerts", class: Migration20261129100000UsageAndAlerts },
  { name: "Migration20261129200000NodeGroups", class: Migration20261129200000NodeGroups },
  { name: "Migration20261129300000NamespacesAndPolicies", class: Migration20261129300000NamespacesAndPolicies },
  { name: "Migration20261130000000BootstrapTokens", class: Migration20261130000000BootstrapTokens },
];

// A migration missing from names.ts would never run on a database that has all the others.
if (MIGRATIONS.map((m) => m.name).join() !== MIGRATION_NAMES.join()) {
  throw new Error("migrations/index.ts and migrations/names.ts list different migrations: keep them in the same order");
}
