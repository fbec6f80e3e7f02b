import type { Database } from "@kube9/db";
import type { Logger } from "./logger.js";
import { hashToken, newAdminToken } from "./tokens.js";

/**
 * The admin token an API process starts with. The cluster has one admin token, whose hash is in the
 * database and which every API process checks (auth.ts): the one given, else the saved one when it is
 * the cluster's, else a new one for a new cluster. Replacing the cluster's token locks out everyone who
 * holds it, so it is done only when no other API process serves the database; while one does, a start
 * with another token (or none the database knows) is refused and says what to do.
 */
export async function chooseAdminToken(db: Database, opts: { given?: string; saved?: string; log: Logger }): Promise<string> {
  const current = (await db.cluster.get()).adminTokenHash;
  let token = opts.given;
  if (!token && opts.saved && current === hashToken(opts.saved)) token = opts.saved;
  if (token && current === hashToken(token)) return token;
  if (current) {
    const peers = await db.peers();
    if (peers.length > 0) {
      const where = peers.filter((p) => p !== "").join(", ") || "an address not yet announced";
      const what = opts.given ? "the admin token given (KUBE9_ADMIN_TOKEN) is not" : "no admin token was given, and config.json holds none that is";
      throw new Error(
        `${what} this cluster's: another API process serving this database (${where}) uses the cluster's admin token, and replacing it ` +
          `would lock its users out. Start with the cluster's token (KUBE9_ADMIN_TOKEN, or the token in the config.json of the first API ` +
          `process), or stop every other API process first to replace it.`,
      );
    }
  }
  if (!token) {
    token = newAdminToken();
    // The database has a token whose plain text is gone; issue a new one rather than lock the user out.
    if (current) opts.log.warn("the admin token in config.json did not match the database; issued a new one");
  }
  await db.cluster.update({ adminTokenHash: hashToken(token) });
  return token;
}
