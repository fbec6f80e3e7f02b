/**
 * The name of every migration, in order, as mikro_orm_migrations records them (never rename one). Kept apart
 * from the migration classes so a start can see that nothing is pending without loading the migrator
 * (umzug and its command-line tooling); index.ts checks that the classes match this list.
 */
export const MIGRATION_NAMES: readonly string[] = [
  "Migration20250601000000Initial",
  "Migration20261129000000PodSpecs",
  "Migration20261129100000UsageAndAlerts",
  "Migration20261129200000NodeGroups",
  "Migration20261129300000NamespacesAndPolicies",
  "Migration20261130000000BootstrapTokens",
];
