import { ReeltimeError } from "@reeltime/runtime";
import { MIGRATIONS_OWNER, type Sql, UPLOAD_MIGRATIONS } from "./store.ts";

type DatabaseModule = {
  openDatabase?: (env: NodeJS.ProcessEnv) => Promise<Sql & { close(): Promise<void> }>;
  migrate?: (db: unknown, owner: string, migrations: typeof UPLOAD_MIGRATIONS) => Promise<unknown>;
};

/**
 * The upload API's database (@reeltime/database: PGlite under REELTIME_DATA_DIR by default,
 * PostgreSQL by REELTIME_PG_URL), its migrations applied.
 */
export async function openUploadsDatabase(env: NodeJS.ProcessEnv): Promise<Sql & { close(): Promise<void> }> {
  const mod = (await import("@reeltime/database")) as DatabaseModule;
  if (!mod.openDatabase || !mod.migrate)
    throw new ReeltimeError(
      "REELTIME_ERR_NOT_INSTALLED",
      "@reeltime/database has no openDatabase/migrate yet (issue 24): the upload API needs it for its sessions",
    );
  const db = await mod.openDatabase(env);
  await mod.migrate(db, MIGRATIONS_OWNER, UPLOAD_MIGRATIONS);
  return db;
}
