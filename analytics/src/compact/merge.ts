import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Row count and an order-independent checksum (sum of per-row hashes over every column). */
export interface Fingerprint {
  rows: number;
  checksum: string;
}

/**
 * Merges Parquet files with an in-process DuckDB: the union of their columns, zstd, large row
 * groups, rows sorted by time so the merged file compresses and prunes well.
 */
export class ParquetMerger {
  #db: Promise<{ db: DuckDBInstance; conn: DuckDBConnection; dir: string }> | undefined;
  #n = 0;

  #open() {
    this.#db ??= (async () => {
      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      await conn.run("SET TimeZone = 'UTC'");
      return { db, conn, dir: await mkdtemp(join(tmpdir(), "reeltime-compact-")) };
    })();
    return this.#db;
  }

  // hive_partitioning off: the rows must not gain dt/hour/event_type columns from the paths.
  #scan = (files: string[]) =>
    `read_parquet([${files.map(quote).join(", ")}], union_by_name = true, hive_partitioning = false)`;

  async #columns(conn: DuckDBConnection, files: string[]): Promise<string[]> {
    const rows = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${this.#scan(files)}`)).getRowObjectsJS();
    return rows.map((r) => String(r.column_name));
  }

  async #fingerprint(conn: DuckDBConnection, files: string[], columns: string[]): Promise<Fingerprint> {
    const sql = `SELECT count(*) AS n, CAST(coalesce(sum(CAST(hash(${columns.map(ident).join(", ")}) AS HUGEINT)), 0) AS VARCHAR) AS h FROM ${this.#scan(files)}`;
    const [row] = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return { rows: Number(row!.n), checksum: String(row!.h) };
  }

  /** Rows in one side and not the other (as multisets): 0 both ways means identical content. */
  async #difference(conn: DuckDBConnection, a: string[], b: string[], columns: string[]): Promise<number> {
    const cols = columns.map(ident).join(", ");
    const sql = `SELECT (SELECT count(*) FROM (SELECT ${cols} FROM ${this.#scan(a)} EXCEPT ALL SELECT ${cols} FROM ${this.#scan(b)})) + (SELECT count(*) FROM (SELECT ${cols} FROM ${this.#scan(b)} EXCEPT ALL SELECT ${cols} FROM ${this.#scan(a)})) AS d`;
    const [row] = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return Number(row!.d);
  }

  /** Merges `inputs` (file contents) into one Parquet file; returns it with the inputs' fingerprint. */
  async merge(inputs: Uint8Array[], opts: { orderBy?: string[]; rowGroupSize?: number } = {}) {
    const { conn, dir } = await this.#open();
    const n = this.#n++;
    const files = await Promise.all(
      inputs.map(async (bytes, i) => {
        const f = join(dir, `in-${n}-${i}.parquet`);
        await writeFile(f, bytes);
        return f;
      }),
    );
    const out = join(dir, `out-${n}.parquet`);
    try {
      const columns = await this.#columns(conn, files);
      const order = (opts.orderBy ?? []).filter((c) => columns.includes(c));
      await conn.run(
        `COPY (SELECT * FROM ${this.#scan(files)}${order.length > 0 ? ` ORDER BY ${order.map(ident).join(", ")}` : ""}) ` +
          `TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${opts.rowGroupSize ?? 122_880})`,
      );
      const expected = await this.#fingerprint(conn, files, columns);
      return { bytes: new Uint8Array(await readFile(out)), expected, columns };
    } finally {
      await Promise.all([...files, out].map((f) => rm(f, { force: true })));
    }
  }

  /**
   * Checks that `merged` (as read back from the archive) holds exactly the rows of `inputs`:
   * same count, same checksum and an empty multiset difference both ways.
   */
  async verify(inputs: Uint8Array[], merged: Uint8Array, columns: string[]) {
    const { conn, dir } = await this.#open();
    const n = this.#n++;
    const files = await Promise.all(
      inputs.map(async (bytes, i) => {
        const f = join(dir, `chk-${n}-${i}.parquet`);
        await writeFile(f, bytes);
        return f;
      }),
    );
    const out = join(dir, `chk-${n}-merged.parquet`);
    await writeFile(out, merged);
    try {
      const before = await this.#fingerprint(conn, files, columns);
      const after = await this.#fingerprint(conn, [out], columns);
      const difference = await this.#difference(conn, files, [out], columns);
      return { before, after, difference };
    } finally {
      await Promise.all([...files, out].map((f) => rm(f, { force: true })));
    }
  }

  /** Fingerprint of Parquet contents (tests, reports). */
  async fingerprint(inputs: Uint8Array[]): Promise<Fingerprint> {
    const { conn, dir } = await this.#open();
    const n = this.#n++;
    const files = await Promise.all(
      inputs.map(async (bytes, i) => {
        const f = join(dir, `fp-${n}-${i}.parquet`);
        await writeFile(f, bytes);
        return f;
      }),
    );
    try {
      if (files.length === 0) return { rows: 0, checksum: "0" };
      return await this.#fingerprint(conn, files, await this.#columns(conn, files));
    } finally {
      await Promise.all(files.map((f) => rm(f, { force: true })));
    }
  }

  async close(): Promise<void> {
    if (!this.#db) return;
    const { db, conn, dir } = await this.#db;
    conn.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
    this.#db = undefined;
  }
}
