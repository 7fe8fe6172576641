import { join } from "node:path";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import type { Database } from "./database.ts";

/** The REELTIME_PG_URL that asks for an in-memory PGlite (unit tests). */
export const MEMORY_URL = "memory://";

/**
 * Opens the database the environment names: `REELTIME_PG_URL` set → a pool to that PostgreSQL
 * server (`memory://` → an in-memory PGlite); unset → PGlite with its files in
 * `${REELTIME_DATA_DIR}/pglite`, so `npm start` needs no server. The drivers load lazily.
 */
export async function openDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const { REELTIME_PG_URL: url, REELTIME_DATA_DIR: dataDir } = loadEnv(ConnectionEnv, env);
  if (url === MEMORY_URL) return (await import("./pglite.ts")).openPglite(undefined);
  if (url !== undefined) return (await import("./postgres.ts")).openPostgres(url);
  return (await import("./pglite.ts")).openPglite(join(dataDir, "pglite"));
}
