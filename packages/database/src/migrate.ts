import { ReeltimeError } from "@reeltime/runtime";
import type { Database, Migration } from "./database.ts";

/** First key of every advisory lock reeltime's migrations take (the second is the owner's hash). */
const LOCK_SPACE = 0x5245454c; // "REEL"

const TABLE = `CREATE TABLE IF NOT EXISTS reeltime_migrations (
  owner text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, version)
)`;

function checkList(owner: string, migrations: readonly Migration[]): void {
  if (owner.trim() === "") throw new ReeltimeError("REELTIME_ERR_CONFIG", "a migration owner must be a non-empty name");
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last)
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `${owner}'s migrations must have positive integer versions in increasing order; ${m.version} (${m.name}) follows ${last}`,
      );
    last = m.version;
  }
}

/**
 * Brings `owner`'s schema up to date: each migration not yet recorded in `reeltime_migrations`
 * runs in order, in a transaction of its own together with its record. Several processes may
 * start together: each migration's transaction first takes the owner's advisory lock
 * (`pg_advisory_xact_lock`) and skips a version another process applied meanwhile. A database
 * that holds a version the code does not know (the code is older than the schema) is refused
 * with REELTIME_ERR_CONFIG before anything runs.
 */
export async function migrate(
  db: Database,
  owner: string,
  migrations: readonly Migration[],
): Promise<{ applied: number[] }> {
  checkList(owner, migrations);
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCK_SPACE]);
    await tx.query(TABLE);
  });
  const known = new Set(migrations.map((m) => m.version));
  const { rows } = await db.query<{ version: number }>(
    "SELECT version FROM reeltime_migrations WHERE owner = $1 ORDER BY version",
    [owner],
  );
  const unknown = rows.map((r) => r.version).filter((v) => !known.has(v));
  if (unknown.length > 0)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `the database has ${owner} migration(s) ${unknown.join(", ")} that this code does not know (a downgrade); run a version of reeltime that has them, or restore a backup taken before them`,
    );
  const done = new Set(rows.map((r) => r.version));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    const ran = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_SPACE, owner]);
      const again = await tx.query("SELECT 1 FROM reeltime_migrations WHERE owner = $1 AND version = $2", [
        owner,
        m.version,
      ]);
      if (again.rowCount > 0) return false;
      await tx.query(m.sql);
      await tx.query("INSERT INTO reeltime_migrations (owner, version, name) VALUES ($1, $2, $3)", [
        owner,
        m.version,
        m.name,
      ]);
      return true;
    });
    if (ran) applied.push(m.version);
  }
  return { applied };
}
