import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBAppender, DuckDBInstance, timestampValue } from "@duckdb/node-api";
import { type Column, columnValue, familyColumns } from "@reeltime/events";
import { ParquetWriter } from "@reeltime/stream-processors";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { median, round } from "../stats.ts";
import { workload } from "../workload.ts";

const ROW_GROUP = 122_880;
const DUCK = { string: "VARCHAR", timestamp: "TIMESTAMP", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN" };
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

function append(appender: DuckDBAppender, c: Column, v: unknown): void {
  if (v === undefined || v === null) appender.appendNull();
  else if (c.type === "timestamp") appender.appendTimestamp(timestampValue(BigInt(Date.parse(String(v))) * 1000n));
  else if (c.type === "bigint") appender.appendBigInt(BigInt(Math.trunc(Number(v))));
  else if (c.type === "double") appender.appendDouble(Number(v));
  else if (c.type === "boolean") appender.appendBoolean(Boolean(v));
  else appender.appendVarchar(typeof v === "string" ? v : String(v));
}

/** The baseline: DuckDB's appender into a typed table, then COPY to Parquet with the same codec and row groups. */
async function duckdbDirect(
  columns: Column[],
  files: unknown[][],
  dir: string,
): Promise<{ seconds: number; bytes: number }> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  let bytes = 0;
  const started = performance.now();
  for (const [i, rows] of files.entries()) {
    await conn.run(`CREATE OR REPLACE TABLE t (${columns.map((c) => `${ident(c.name)} ${DUCK[c.type]}`).join(", ")})`);
    const appender = await conn.createAppender("t");
    for (const r of rows) {
      for (const c of columns) append(appender, c, columnValue(r, c));
      appender.endRow();
    }
    appender.closeSync();
    const out = join(dir, `duck-${i}.parquet`);
    await conn.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP})`);
    bytes += (await readFile(out)).byteLength;
  }
  const seconds = (performance.now() - started) / 1000;
  conn.closeSync();
  return { seconds, bytes };
}

async function archiver(columns: Column[], files: unknown[][]): Promise<{ seconds: number; bytes: number }> {
  const writer = new ParquetWriter({ rowGroupSize: ROW_GROUP });
  let bytes = 0;
  const started = performance.now();
  for (const rows of files) bytes += (await writer.write(columns, rows)).byteLength;
  const seconds = (performance.now() - started) / 1000;
  await writer.close();
  return { seconds, bytes };
}

/**
 * Parquet rows/s of the archiver's ParquetWriter (playback family columns, zstd, 122,880-row
 * groups) against DuckDB writing the same rows through its appender. No services needed.
 * Knobs: --events (rows per side per round, default 200000; files of 100,000 rows), --rounds.
 */
export async function archive(o: BenchOptions): Promise<Result> {
  const count = or(o.events, 200_000);
  const perFile = Math.min(count, 100_000);
  const columns = familyColumns("playback");
  const rows = workload(Math.ceil(count * 1.1), {
    app: "bench-archive",
    stamped: true,
    t0: Date.parse("2026-01-05T00:00:00Z"),
  })
    .filter((e) => e.event_type.startsWith("playback."))
    .slice(0, count);
  const files: unknown[][] = [];
  for (let i = 0; i < rows.length; i += perFile) files.push(rows.slice(i, i + perFile));
  const dir = await mkdtemp(join(tmpdir(), "reeltime-bench-archive-"));
  const rates = { reeltime: [] as number[], baseline: [] as number[] };
  const sizes = { reeltime: 0, baseline: 0 };
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const b = await duckdbDirect(columns, files, dir);
      rates.baseline.push(rows.length / b.seconds);
      sizes.baseline = b.bytes;
      o.log(`  round ${round} baseline: ${Math.round(rows.length / b.seconds)} rows/s`);
      const a = await archiver(columns, files);
      rates.reeltime.push(rows.length / a.seconds);
      sizes.reeltime = a.bytes;
      o.log(`  round ${round} reeltime: ${Math.round(rows.length / a.seconds)} rows/s`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const a = median(rates.reeltime);
  const b = median(rates.baseline);
  return {
    name: "archive",
    title: "Archive: Parquet rows/s, archiver's ParquetWriter vs DuckDB appender",
    workload: {
      rows: rows.length,
      rowsPerFile: perFile,
      columns: columns.length,
      family: "playback",
      codec: "zstd",
      rowGroup: ROW_GROUP,
      rounds: o.rounds,
    },
    rows: [
      {
        label: "reeltime (ParquetWriter: flatten → NDJSON → DuckDB read_json → COPY)",
        figures: {
          "rows/s (median)": Math.round(a),
          "MB written": round(sizes.reeltime / 1e6),
          rounds: rates.reeltime.map(Math.round).join(" / "),
        },
      },
      {
        label: "baseline (DuckDB appender → COPY)",
        figures: {
          "rows/s (median)": Math.round(b),
          "MB written": round(sizes.baseline / 1e6),
          rounds: rates.baseline.map(Math.round).join(" / "),
        },
      },
    ],
    ratio: { figure: "rows/s", value: round(a / b, 3) },
    goal: { text: "ratio reported" },
    notes: [],
  };
}
