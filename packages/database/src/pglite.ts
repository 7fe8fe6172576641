import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { PGlite, Results, Transaction } from "@electric-sql/pglite";
import type { Database } from "./database.ts";

type Runner = Pick<PGlite, "query" | "exec"> | Transaction;

async function run<T>(on: Runner, sql: string, params?: readonly unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  let r: Results<T>;
  if (params === undefined) {
    // The simple protocol, like pg without parameters: several statements, the last one answers.
    const all = (await on.exec(sql)) as Results<T>[];
    r = all.at(-1) ?? { rows: [], fields: [] };
  } else r = await on.query<T>(sql, params as unknown[]);
  return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
}

/**
 * The PGlite instance of each data directory in this process, shared by every `openDatabase`
 * on it (the catalogue, uploads and notifier of one `npm start`): two instances on one
 * directory would overwrite each other's files. Closed when its last user closes.
 */
const shared = new Map<string, { pg: Promise<PGlite>; users: number }>();

async function acquire(dataDir: string | undefined): Promise<{ pg: PGlite; release(): Promise<void> }> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir === undefined) {
    const pg = await PGlite.create();
    return { pg, release: () => pg.close() };
  }
  const key = resolve(dataDir);
  let entry = shared.get(key);
  if (entry === undefined) {
    const created = (async () => {
      await mkdir(key, { recursive: true });
      return PGlite.create(key);
    })();
    entry = { pg: created, users: 0 };
    shared.set(key, entry);
    created.catch(() => shared.delete(key));
  }
  entry.users++;
  const mine = entry;
  let pg: PGlite;
  try {
    pg = await mine.pg;
  } catch (err) {
    mine.users--;
    throw err;
  }
  return {
    pg,
    async release() {
      if (--mine.users > 0) return;
      if (shared.get(key) === mine) shared.delete(key);
      await pg.close();
    },
  };
}

/**
 * PGlite, PostgreSQL compiled to WebAssembly, in this process: files under `dataDir` (one
 * instance per directory, shared within the process; one process owns a directory at a time),
 * or memory when `dataDir` is undefined (a database of its own).
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { pg, release } = await acquire(dataDir);
  let closed = false;
  return {
    kind: "pglite",
    query: (sql, params) => run(pg, sql, params),
    transaction: (fn) => pg.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
