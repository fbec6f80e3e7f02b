import type { Results } from "@electric-sql/pglite";
import { AbstractSqlDriver, PostgreSqlPlatform } from "@mikro-orm/postgresql";
import type { Configuration } from "@mikro-orm/postgresql";
import { PGliteConnection } from "mikro-orm-pglite";

/**
 * mikro-orm-pglite runs any SQL text containing a `;` as a multi-statement script, and the ORM
 * inlines parameter values into the text, so a value such as "a;b" turns a single query into a
 * one-element result list that the stock connection maps wrongly (e.g. insert ids become NaN).
 */
class Kube9PGliteConnection extends PGliteConnection {
  protected override transformRawResult<T>(response: Results | Results[], method: "all" | "get" | "run"): T {
    if (Array.isArray(response) && response.length === 1) {
      return super.transformRawResult<T>(response[0]!, method);
    }
    return super.transformRawResult<T>(response, method);
  }
}

/** The mikro-orm-pglite driver with the result-shape fix above. */
export class Kube9PGliteDriver extends AbstractSqlDriver<Kube9PGliteConnection> {
  constructor(config: Configuration) {
    super(config, new PostgreSqlPlatform(), Kube9PGliteConnection, ["knex", "@electric-sql/pglite", "@harryplusplus/knex-pglite"]);
  }
}
