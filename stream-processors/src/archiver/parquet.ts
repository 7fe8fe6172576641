import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type Column, columnValue } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";

const DUCK_TYPE = { string: "VARCHAR", timestamp: "TIMESTAMP", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN" };
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * Writes rows to Parquet with the contract's columns (zstd, large row groups) through an
 * in-process DuckDB. Rows are flattened with the generated column list, so the files always
 * match the Athena DDL.
 */
export class ParquetWriter {
  #conn: Promise<{ db: DuckDBInstance; conn: DuckDBConnection; dir: string }> | undefined;
  #n = 0;
  readonly rowGroupSize: number;

  constructor(opts: { rowGroupSize?: number } = {}) {
    this.rowGroupSize = opts.rowGroupSize ?? 122_880;
  }

  #open() {
    this.#conn ??= (async () => {
      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      await conn.run("SET TimeZone = 'UTC'");
      const dir = await mkdtemp(join(tmpdir(), "reeltime-parquet-"));
      return { db, conn, dir };
    })();
    return this.#conn;
  }

  /** One Parquet file holding `rows` (events or records) flattened into `columns`. */
  async write(columns: Column[], rows: unknown[]): Promise<Uint8Array> {
    const { conn, dir } = await this.#open();
    const n = this.#n++;
    const input = join(dir, `rows-${n}.ndjson`);
    const output = join(dir, `out-${n}.parquet`);
    const lines = rows.map((r) => {
      const flat: Record<string, unknown> = {};
      for (const c of columns) {
        const v = columnValue(r, c);
        // A lone surrogate (which JSON allows and DuckDB's JSON reader refuses) becomes U+FFFD.
        if (v !== undefined) flat[c.name] = typeof v === "string" ? v.toWellFormed() : v;
      }
      return JSON.stringify(flat);
    });
    await writeFile(input, `${lines.join("\n")}\n`);
    try {
      // Timestamps arrive as RFC 3339 text with a zone: read as text, cast through TIMESTAMPTZ to UTC.
      const spec = columns
        .map((c) => `${quote(c.name)}: ${quote(c.type === "timestamp" ? "VARCHAR" : DUCK_TYPE[c.type])}`)
        .join(", ");
      const select = columns
        .map((c) =>
          c.type === "timestamp"
            ? `CAST(CAST(${ident(c.name)} AS TIMESTAMPTZ) AS TIMESTAMP) AS ${ident(c.name)}`
            : ident(c.name),
        )
        .join(", ");
      await conn.run(
        `COPY (SELECT ${select} FROM read_json(${quote(input)}, format = 'newline_delimited', columns = {${spec}})) ` +
          `TO ${quote(output)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${this.rowGroupSize})`,
      );
      return new Uint8Array(await readFile(output));
    } catch (err) {
      // DuckDB refused a value (input or conversion): the rows' content, not a passing failure.
      if (/^(Invalid Input|Conversion) Error/.test((err as Error).message))
        throw new ReeltimeError("REELTIME_ERR_ARCHIVE_CONTENT", (err as Error).message.slice(0, 500), { cause: err });
      throw err;
    } finally {
      await rm(input, { force: true });
      await rm(output, { force: true });
    }
  }

  async close(): Promise<void> {
    if (!this.#conn) return;
    const { conn, dir } = await this.#conn;
    conn.closeSync();
    await rm(dir, { recursive: true, force: true });
    this.#conn = undefined;
  }
}
