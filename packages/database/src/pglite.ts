import { mkdir } from "node:fs/promises";
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
 * PGlite, PostgreSQL compiled to WebAssembly, in this process: files under `dataDir`, or memory
 * when `dataDir` is undefined. One process owns a data directory at a time.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  let closed = false;
  return {
    kind: "pglite",
    query: (sql, params) => run(pg, sql, params),
    transaction: (fn) => pg.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
