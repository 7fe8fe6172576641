import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";
import { metricsPortOption } from "./options.ts";

function when(flag: string) {
  return (value: string): Date => {
    const rel = /^(\d+)([smhd])$/.exec(value);
    if (rel) {
      const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as "s" | "m" | "h" | "d"];
      return new Date(Date.now() - Number(rel[1]) * unit);
    }
    const t = Date.parse(value);
    if (Number.isNaN(t))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `${flag} takes an RFC 3339 time or an age like 30m, 6h, 2d; got "${value}"`,
      );
    return new Date(t);
  };
}

async function connections() {
  const [{ createArchive, createBus, createSearchStore }, { ConnectionEnv, loadEnv }] = await Promise.all([
    import("@reeltime/connectors"),
    import("@reeltime/runtime"),
  ]);
  const env = loadEnv(ConnectionEnv);
  return { env, createArchive, createBus, createSearchStore };
}

/** `reeltime process`, `reeltime replay` and `reeltime backfill`. */
export function registerProcess(program: Command): void {
  program
    .command("process")
    .description(
      "run the stream processors (indexer, dead-letters, sessionizer, jobs, archiver), each its own consumer group",
    )
    .option("--only <names>", "comma-separated subset, e.g. indexer,sessionizer")
    .option(
      "--metrics-port <port>",
      "port of /metrics and /healthz, on HOST (default 127.0.0.1; 0.0.0.0 in a pod)",
      metricsPortOption,
      9464,
    )
    .addHelpText("after", "\nScale out by running more instances: instances of a group split the partitions/shards.")
    .action(async (o: { only?: string; metricsPort: number }) => {
      const [{ runProcessService }, { createLogger, onShutdown }] = await Promise.all([
        import("@reeltime/stream-processors"),
        import("@reeltime/runtime"),
      ]);
      const service = await runProcessService({ ...(o.only ? { only: o.only } : {}), metricsPort: o.metricsPort });
      onShutdown(createLogger("stream-processors"), () => service.close());
      await new Promise(() => undefined);
    });

  program
    .command("replay")
    .description("re-publish dead letters (after a fix): each payload is validated again and sent to its topic")
    .option("--reason <reason>", "only dead letters with this reason (e.g. unknown_field, rejected_by_store)")
    .option("--stage <stage>", "only from this stage (ingest, indexer, sessionizer, archiver)")
    .option("--since <time>", "RFC 3339 time or an age like 6h", when("--since"))
    .option("--until <time>", "RFC 3339 time or an age", when("--until"))
    .option("--limit <n>", "at most this many", (v) => Number(v), 10_000)
    .option("--dry-run", "report what would be replayed without publishing")
    .option(
      "--notification <id>",
      "instead: send this notification again (its id is the webhook-id / the dead letter's payload.notification_id)",
    )
    .action(
      async (o: {
        reason?: string;
        stage?: string;
        since?: Date;
        until?: Date;
        limit: number;
        dryRun?: boolean;
        notification?: string;
      }) => {
        if (o.notification !== undefined) return resendNotification(o.notification);
        const { env, createBus, createSearchStore } = await connections();
        const { replay } = await import("@reeltime/stream-processors");
        const bus = await createBus(env);
        const search = await createSearchStore(env);
        try {
          const r = await replay(
            { bus, search },
            {
              ...(o.reason ? { reason: o.reason } : {}),
              ...(o.stage ? { stage: o.stage } : {}),
              ...(o.since ? { since: o.since } : {}),
              ...(o.until ? { until: o.until } : {}),
            },
            { limit: o.limit, dryRun: o.dryRun ?? false },
          );
          process.stdout.write(
            `${r.found} dead letter(s) found; ${r.republished} ${o.dryRun ? "would be " : ""}republished; ` +
              `${r.stillInvalid.length} still invalid; ${r.notEvents} not events; ${r.noApp.length} without a recorded app\n`,
          );
          for (const s of r.stillInvalid.slice(0, 20))
            process.stdout.write(`  still invalid ${s.dead_letter_id}: ${s.problem}\n`);
        } finally {
          await bus.shutdown();
          await search.shutdown();
        }
      },
    );

  program
    .command("backfill")
    .description("re-index a time range from the Parquet archive into the search store (idempotent by event_id)")
    .requiredOption("--from <time>", "RFC 3339 time or an age like 2d", when("--from"))
    .requiredOption("--to <time>", "RFC 3339 time or an age", when("--to"))
    .action(async (o: { from: Date; to: Date }) => {
      if (o.to <= o.from) throw new ReeltimeError("REELTIME_ERR_USAGE", "--to must be after --from");
      const { env, createArchive, createSearchStore } = await connections();
      const [{ backfill }, { default: cliProgress }] = await Promise.all([
        import("@reeltime/stream-processors"),
        import("cli-progress"),
      ]);
      const archive = await createArchive(env);
      const search = await createSearchStore(env);
      const bar = new cliProgress.SingleBar(
        {
          format: "backfill [{bar}] {value}/{total} files | {events} events, {indexed} new, {duplicates} already there",
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
      try {
        let started = false;
        const r = await backfill({ archive, search }, { from: o.from, to: o.to }, (p) => {
          if (!started) bar.start(p.files, 0, { events: 0, indexed: 0, duplicates: 0 });
          started = true;
          bar.update(p.filesDone, { events: p.events, indexed: p.indexed, duplicates: p.duplicates });
        });
        bar.stop();
        process.stdout.write(
          `backfill: ${r.files} file(s), ${r.events} event(s): ${r.indexed} indexed, ${r.duplicates} already present, ${r.rejected} rejected\n`,
        );
        if (r.rejected > 0) process.exitCode = 1;
      } finally {
        await archive.shutdown();
        await search.shutdown();
      }
    });
}

/**
 * `reeltime replay --notification <id>`: marks a notification due again; a running notifier
 * sends it within about a second, with the same id (receivers drop a duplicate by it).
 */
async function resendNotification(id: string): Promise<void> {
  const [{ openNotifierDatabase, resendNotification: resend }, { ReeltimeError }] = await Promise.all([
    import("@reeltime/notifier"),
    import("@reeltime/runtime"),
  ]);
  const db = await openNotifierDatabase();
  try {
    if (!(await resend(db, id)))
      throw new ReeltimeError(
        "REELTIME_ERR_NOT_FOUND",
        `no notification ${id} to resend (unknown id, or its endpoint was deleted)`,
      );
    process.stdout.write(`notification ${id}: due again; the notifier sends it within a second\n`);
  } finally {
    await db.close();
  }
}
