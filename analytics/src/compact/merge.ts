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

  async #fingerprint(
    conn: DuckDBConnection,
    files: string[],
    columns: string[],
    source = this.#scan(files),
  ): Promise<Fingerprint> {
    const sql = `SELECT count(*) AS n, CAST(coalesce(sum(CAST(hash(${columns.map(ident).join(", ")}) AS HUGEINT)), 0) AS VARCHAR) AS h FROM ${source}`;
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

  /**
   * The rows to write: all of them, or with `dedupeBy` one row per value of that column (the
   * first received; rows without a value are all kept). A client's retry or a replay makes the
   * same event twice, with its own received_at.
   */
  #select(files: string[], columns: string[], dedupeBy: string | undefined): string {
    if (!dedupeBy || !columns.includes(dedupeBy)) return `SELECT * FROM ${this.#scan(files)}`;
    const id = ident(dedupeBy);
    const first = ["received_at", "client_ts"].filter((c) => columns.includes(c)).map(ident);
    const order = [...first, `hash(${columns.map(ident).join(", ")})`].join(", ");
    return `SELECT * FROM ${this.#scan(files)} QUALIFY ${id} IS NULL OR row_number() OVER (PARTITION BY ${id} ORDER BY ${order}) = 1`;
  }

  /** Merges `inputs` (file contents) into one Parquet file; returns it with the fingerprint of the rows it must hold. */
  async merge(inputs: Uint8Array[], opts: { orderBy?: string[]; rowGroupSize?: number; dedupeBy?: string } = {}) {
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
      const rows = this.#select(files, columns, opts.dedupeBy);
      await conn.run(
        `COPY (${rows}${order.length > 0 ? ` ORDER BY ${order.map(ident).join(", ")}` : ""}) ` +
          `TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${opts.rowGroupSize ?? 122_880})`,
      );
      const expected = await this.#fingerprint(conn, [out], columns, `(${rows})`);
      return { bytes: new Uint8Array(await readFile(out)), expected, columns };
    } finally {
      await Promise.all([...files, out].map((f) => rm(f, { force: true })));
    }
  }

  /**
   * Checks that `merged` (as read back from the archive) holds exactly the rows of `inputs`:
   * same count, same checksum and an empty multiset difference both ways. With `dedupeBy`:
   * every merged row is an input row, every input value of that column is in the merged file,
   * and once only.
   */
  async verify(inputs: Uint8Array[], merged: Uint8Array, columns: string[], opts: { dedupeBy?: string } = {}) {
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
      if (!opts.dedupeBy || !columns.includes(opts.dedupeBy)) {
        const difference = await this.#difference(conn, files, [out], columns);
        const ok = difference === 0 && before.rows === after.rows && before.checksum === after.checksum;
        return { before, after, difference, duplicates: 0, ok };
      }
      const id = ident(opts.dedupeBy);
      const cols = columns.map(ident).join(", ");
      const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]!.n);
      const extra = await one(
        `SELECT count(*) AS n FROM (SELECT ${cols} FROM ${this.#scan([out])} EXCEPT ALL SELECT ${cols} FROM ${this.#scan(files)})`,
      );
      const missing = await one(
        `SELECT count(*) AS n FROM (SELECT ${id} FROM ${this.#scan(files)} WHERE ${id} IS NOT NULL EXCEPT SELECT ${id} FROM ${this.#scan([out])})`,
      );
      const distinct = async (f: string[]) =>
        one(`SELECT count(DISTINCT ${id}) + count(*) FILTER (WHERE ${id} IS NULL) AS n FROM ${this.#scan(f)}`);
      const [inIds, outIds] = [await distinct(files), await distinct([out])];
      const ok = extra === 0 && missing === 0 && outIds === after.rows && inIds === after.rows;
      return { before, after, difference: extra + missing, duplicates: before.rows - after.rows, ok };
    } finally {
      await Promise.all([...files, out].map((f) => rm(f, { force: true })));
    }
  }

  /** One column's values in a Parquet file, in file order (tests, reports). */
  async columnValues(bytes: Uint8Array, column: string): Promise<unknown[]> {
    const { conn, dir } = await this.#open();
    const f = join(dir, `col-${this.#n++}.parquet`);
    await writeFile(f, bytes);
    try {
      const rows = (await conn.runAndReadAll(`SELECT ${ident(column)} AS v FROM ${this.#scan([f])}`)).getRowObjectsJS();
      return rows.map((r) => r.v);
    } finally {
      await rm(f, { force: true });
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
