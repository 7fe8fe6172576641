import { type Database, migrate, openDatabase } from "@reeltime/database";
import { MIGRATIONS_OWNER, UPLOAD_MIGRATIONS } from "./store.ts";

/**
 * The upload API's database (@reeltime/database: PGlite under REELTIME_DATA_DIR by default,
 * PostgreSQL by REELTIME_PG_URL), its migrations applied (owner "uploads").
 */
export async function openUploadsDatabase(env: NodeJS.ProcessEnv): Promise<Database> {
  const db = await openDatabase(env);
  try {
    await migrate(db, MIGRATIONS_OWNER, UPLOAD_MIGRATIONS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
