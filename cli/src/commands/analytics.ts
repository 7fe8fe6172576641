import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

const usage = (message: string) => new ReeltimeError("REELTIME_ERR_USAGE", message);

type Engine = "duckdb" | "athena" | "trino";

function engineOf(value: string): Engine {
  if (value === "duckdb" || value === "athena" || value === "trino") return value;
  throw usage(`--engine takes duckdb, athena or trino; got "${value}"`);
}

function formatOf(value: string): "table" | "csv" | "json" {
  if (value === "table" || value === "csv" || value === "json") return value;
  throw usage(`--format takes table, csv or json; got "${value}"`);
}

/** RFC 3339 time, or an age like 2h / 3d meaning that long ago. */
function timeOf(value: string): Date {
  const rel = /^(\d+)([mhd])$/.exec(value);
  if (rel) return new Date(Date.now() - Number(rel[1]) * { m: 6e4, h: 36e5, d: 864e5 }[rel[2] as "m" | "h" | "d"]);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usage(`--before takes an RFC 3339 time or an age like 2h, 1d; got "${value}"`);
  return new Date(t);
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function env() {
  const { ConnectionEnv, loadEnv } = await import("@reeltime/runtime");
  return loadEnv(ConnectionEnv);
}

/** `reeltime analytics ddl|compact|queries` and `reeltime query`. */
export function registerAnalytics(program: Command): void {
  const analytics = program.command("analytics").description("Athena/Trino/DuckDB tables, named queries, compaction");

  analytics
    .command("ddl")
    .description(
      "print the table definitions (Athena or Trino DDL with partition projection, or DuckDB views), or apply them",
    )
    .option("--engine <engine>", "athena, trino or duckdb (default: REELTIME_QUERY)", engineOf)
    .option(
      "--apply",
      "create them: Athena through StartQueryExecution, Trino as statements on its Hive catalog, DuckDB by rebuilding its views",
    )
    .option(
      "--database <name>",
      "Glue/Athena database, or Trino schema (default: REELTIME_ATHENA_DATABASE, REELTIME_TRINO_SCHEMA)",
    )
    .option("--bucket <name>", "S3 bucket of the archive (default: REELTIME_S3_BUCKET)")
    .action(async (o: { engine?: Engine; apply?: boolean; database?: string; bucket?: string }) => {
      const e = await env();
      const { athenaStatements, duckdbStatements, trinoDdlStatements, applyDdl, openSession } = await import(
        "@reeltime/analytics"
      );
      const engine = o.engine ?? e.REELTIME_QUERY;
      const database = o.database ?? (engine === "trino" ? e.REELTIME_TRINO_SCHEMA : e.REELTIME_ATHENA_DATABASE);
      const params = { database, bucket: o.bucket ?? e.REELTIME_S3_BUCKET };
      if (!o.apply) {
        if (engine === "athena") {
          for (const s of athenaStatements(params)) process.stdout.write(`${s};\n\n`);
          return;
        }
        if (engine === "trino") {
          for (const s of trinoDdlStatements(params)) process.stdout.write(`${s};\n\n`);
          return;
        }
        const { createArchive } = await import("@reeltime/connectors");
        const { resolve } = await import("node:path");
        const archive = await createArchive(e);
        try {
          const root = resolve(e.REELTIME_DATA_DIR, "archive");
          const where = (key: string) => (archive.driver === "fs" ? `${root}/${key}` : `s3://${params.bucket}/${key}`);
          for (const s of await duckdbStatements(archive, where)) process.stdout.write(`${s};\n`);
        } finally {
          await archive.shutdown();
        }
        return;
      }
      const session = await openSession(e, engine);
      try {
        await applyDdl(session.engine, params, (what, result) => {
          const rows = result?.rows[0]?.row_count;
          process.stdout.write(`${engine}: ${what}${rows === undefined ? " ok" : `: ${rows} rows`}\n`);
        });
      } finally {
        await session.close();
      }
    });

  analytics
    .command("compact")
    .description("merge the small Parquet files of closed hours into one file per bus partition and hour")
    .requiredOption("--before <time>", "only hours that ended by then: RFC 3339 or an age like 2h", timeOf)
    .option("--family <names>", "comma-separated event families (default: all)")
    .option("--dry-run", "show what would be merged")
    .action(async (o: { before: Date; family?: string; dryRun?: boolean }) => {
      const e = await env();
      const [{ compact }, { createArchive }, { FAMILIES }] = await Promise.all([
        import("@reeltime/analytics"),
        import("@reeltime/connectors"),
        import("@reeltime/events"),
      ]);
      const families = o.family?.split(",").map((f) => f.trim());
      for (const f of families ?? [])
        if (!(FAMILIES as readonly string[]).includes(f))
          throw usage(`unknown family "${f}"; choose from ${FAMILIES.join(", ")}`);
      const archive = await createArchive(e);
      try {
        const r = await compact(archive, {
          before: o.before,
          ...(families ? { families: families as (typeof FAMILIES)[number][] } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
        });
        for (const g of r.groups)
          process.stdout.write(
            o.dryRun
              ? `would merge ${g.inputs.length} files into ${g.key}\n`
              : `merged ${g.inputs.length} files into ${g.key}: ${g.after.rows} rows, checksum ${g.after.checksum} (unchanged)\n`,
          );
        process.stdout.write(
          `compaction: ${r.hours} closed hour(s), ${r.filesBefore} file(s) → ${r.filesAfter}, ${r.rows} row(s) moved, ` +
            `${r.leftoversDeleted} leftover(s) of an interrupted run deleted\n`,
        );
      } finally {
        await archive.shutdown();
      }
    });

  analytics
    .command("queries")
    .description("list the named queries with their parameters")
    .action(async () => {
      const { loadNamedQueries } = await import("@reeltime/analytics");
      for (const q of (await loadNamedQueries()).values()) {
        const params = [...new Set(q.params.map((p) => p.name))].map((p) => `--param ${p}=…`).join(" ");
        process.stdout.write(`${q.name}  ${params}\n  ${q.description}\n`);
      }
    });

  program
    .command("query [sql]")
    .description("run SQL or a named query over the archive (DuckDB locally, Athena in AWS, or Trino)")
    .option("--named <name>", "a named query (see `reeltime analytics queries`)")
    .option("--param <k=v>", "a named query's parameter (repeatable)", collect, [] as string[])
    .option("--engine <engine>", "duckdb, athena or trino (default: REELTIME_QUERY)", engineOf)
    .option("--format <format>", "table, csv or json", formatOf, "table")
    .option("--force", "run an Athena or Trino query even without a dt partition filter")
    .addHelpText(
      "after",
      "\nExamples:\n  reeltime query --named qoe --param from_dt=2026-11-20 --param to_dt=2026-11-21\n" +
        "  reeltime query \"SELECT count(*) FROM views WHERE dt = '2026-11-20'\" --format csv",
    )
    .action(
      async (
        sql: string | undefined,
        o: {
          named?: string;
          param: string[];
          engine?: Engine;
          format: "table" | "csv" | "json";
          force?: boolean;
        },
      ) => {
        if ((sql === undefined) === (o.named === undefined)) throw usage("give either SQL or --named NAME");
        if (sql !== undefined && o.param.length > 0) throw usage("--param goes with --named; inline values in SQL");
        const e = await env();
        const { bindParams, formatResult, namedQuery, openSession, parseParams, runQuery } = await import(
          "@reeltime/analytics"
        );
        const q = o.named ? await namedQuery(o.named) : undefined;
        const params = q ? bindParams(q, parseParams(o.param)) : [];
        const session = await openSession(e, o.engine);
        try {
          const result = await runQuery(session.engine, { sql: q?.sql ?? sql!, params, force: o.force ?? false });
          process.stdout.write(formatResult(result, o.format));
          if (session.engine.driver === "trino")
            process.stderr.write(
              `trino: ${result.bytesScanned ?? 0} bytes read from storage (${((result.bytesScanned ?? 0) / 1024 ** 2).toFixed(2)} MiB) in ${Math.round(result.executionMs ?? 0)} ms\n`,
            );
          else if (result.bytesScanned !== undefined)
            process.stderr.write(
              `athena: ${result.bytesScanned} bytes scanned (${(result.bytesScanned / 1024 ** 2).toFixed(2)} MiB; billed at least 10 MB)\n`,
            );
        } finally {
          await session.close();
        }
      },
    );
}
