import { Migration } from "@mikro-orm/migrations";

/** A migration that is a list of statements each way (each of ours is: reviewed SQL, no semicolons inside). */
export abstract class StatementMigration extends Migration {
  protected abstract readonly statements: { up: readonly string[]; down: readonly string[] };

  override async up(): Promise<void> {
    for (const sql of this.statements.up) this.addSql(sql);
  }

  override async down(): Promise<void> {
    for (const sql of this.statements.down) this.addSql(sql);
  }
}
