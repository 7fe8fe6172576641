import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";
import { metricsPortOption } from "./options.ts";

const SOURCES = ["cloudfront-realtime", "nginx"] as const;

function samplingRate(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--sampling-rate must be a whole number from 1 to 100, got ${value}`);
  return n;
}

function source(value: string): (typeof SOURCES)[number] {
  if (!(SOURCES as readonly string[]).includes(value))
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--source must be one of ${SOURCES.join(", ")}, got ${value}`);
  return value as (typeof SOURCES)[number];
}

/** `reeltime cdn import` and `reeltime cdn consume`: CDN delivery logs as cdn events on the bus. */
export function registerCdn(program: Command): void {
  const cdn = program
    .command("cdn")
    .description("CDN delivery logs (CloudFront standard and real-time logs, the local edge) as cdn events");

  cdn
    .command("import")
    .description(
      "import CloudFront standard access logs (W3C, gzip or plain) from an S3 prefix or a local file or folder " +
        "into the bus as cdn.request events; idempotent per log file (a ledger in the archive keyed by the " +
        "file's identity: S3 key + ETag + size, or a local file's SHA-256)",
    )
    .argument("<location>", "s3://bucket/prefix or a local path")
    .option("--app <id>", "app_id stamped on every event")
    .addHelpText(
      "after",
      "\nLines that are not requests go to the dead letters (stage cdn-import) with their line number." +
        "\nExit status 1 when a file could not be read to the end (import again: it is not in the ledger).",
    )
    .action(async (location: string, o: { app?: string }) => {
      const [{ createArchive, createBus }, { ConnectionEnv, loadEnv }, { importCdnLogs, openLogSource }, { TOPICS }] =
        await Promise.all([
          import("@reeltime/connectors"),
          import("@reeltime/runtime"),
          import("@reeltime/cdn-logs"),
          import("@reeltime/events"),
        ]);
      const { default: cliProgress } = await import("cli-progress");
      const env = loadEnv(ConnectionEnv);
      const source = openLogSource(location, env);
      const bus = await createBus(env);
      const archive = await createArchive(env);
      const bar = new cliProgress.SingleBar(
        {
          format:
            "cdn import [{bar}] {value}/{total} files | {events} events, {deadLetters} dead letters, {skipped} already imported",
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
      try {
        await bus.start();
        await archive.start();
        await bus.ensureTopics(
          [TOPICS.cdn, TOPICS.deadLetter].map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })),
        );
        let started = false;
        const r = await importCdnLogs(
          { bus, archive, source },
          {
            ...(o.app ? { appId: o.app } : {}),
            onProgress: (p) => {
              if (!started) bar.start(p.files, 0, { events: 0, deadLetters: 0, skipped: 0 });
              started = true;
              bar.update(p.filesDone, { events: p.events, deadLetters: p.deadLetters, skipped: p.skipped });
            },
          },
        );
        bar.stop();
        const fresh = r.files - r.skipped - r.failed.length;
        process.stdout.write(
          r.files === 0
            ? `cdn import: no log files under ${source.describe}\n`
            : fresh === 0 && r.failed.length === 0
              ? `cdn import: all ${r.files} file(s) of ${source.describe} were imported before; nothing published\n`
              : `cdn import: ${r.files} file(s): ${fresh} imported (${r.events} events, ${r.deadLetters} dead letters), ${r.skipped} already imported, ${r.failed.length} failed\n`,
        );
        for (const f of r.failed.slice(0, 20)) process.stderr.write(`  could not read ${f.file}: ${f.error}\n`);
        if (r.failed.length > 0)
          throw new ReeltimeError(
            "REELTIME_ERR_CDN_IMPORT",
            `${r.failed.length} file(s) could not be read to the end; run the import again`,
          );
      } finally {
        bar.stop();
        source.close();
        await bus.shutdown();
        await archive.shutdown();
      }
    });

  cdn
    .command("consume")
    .description(
      "run the consumer group of a CloudFront real-time log stream (Kinesis Data Streams, shard leases and " +
        "checkpoints as REELTIME_KINESIS_* say): each record's lines become cdn.request events on the bus " +
        "(REELTIME_BUS), lines that are not requests go to the dead letters (stage cdn-realtime)",
    )
    .option("--stream <name>", "the Kinesis data stream (default reeltime.cdn.realtime, the local edge's)")
    .requiredOption(
      "--fields <list>",
      "the real-time log configuration's fields, comma-separated, in any order (records carry them in CloudFront's order)",
    )
    .option("--source <name>", `what writes the stream: ${SOURCES.join(" or ")}`, source, "cloudfront-realtime")
    .option(
      "--sampling-rate <n>",
      "the configuration's sampling rate, 1-100 (events carry sample_rate)",
      samplingRate,
      100,
    )
    .option("--app <id>", "app_id stamped on every event")
    .option("--group <name>", "the consumer group", "reeltime-cdn-realtime")
    .option(
      "--metrics-port <port>",
      "port of /metrics and /healthz, on HOST (default 127.0.0.1; 0.0.0.0 in a pod)",
      metricsPortOption,
      9465,
    )
    .addHelpText("after", "\nScale out by running more instances: instances of the group split the shards.")
    .action(
      async (o: {
        stream?: string;
        fields: string;
        source: (typeof SOURCES)[number];
        samplingRate: number;
        app?: string;
        group: string;
        metricsPort: number;
      }) => {
        const [{ createBus }, rt, { checkRealtimeFields, DEFAULT_REALTIME_STREAM, runRealtimeConsumer }, { TOPICS }] =
          await Promise.all([
            import("@reeltime/connectors"),
            import("@reeltime/runtime"),
            import("@reeltime/cdn-logs"),
            import("@reeltime/events"),
          ]);
        const fields = o.fields
          .split(",")
          .map((f) => f.trim())
          .filter((f) => f !== "");
        checkRealtimeFields(fields);
        const env = rt.loadEnv(rt.ConnectionEnv);
        const log = rt.createLogger("cdn-realtime");
        const registry = rt.createRegistry("cdn-realtime");
        const stream = o.stream ?? DEFAULT_REALTIME_STREAM;
        const sourceBus = await createBus({ ...env, REELTIME_BUS: "kinesis" });
        const out = await createBus(env);
        await sourceBus.start();
        await out.start();
        await out.ensureTopics(
          [TOPICS.cdn, TOPICS.deadLetter].map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })),
        );
        const running = await runRealtimeConsumer(
          { source: sourceBus, out, log, registry },
          {
            stream,
            fields,
            source: o.source,
            samplingRate: o.samplingRate,
            group: o.group,
            ...(o.app ? { appId: o.app } : {}),
          },
        );
        const ops = await rt.startOpsServer({
          registry,
          // The processors' rule: 127.0.0.1 unless HOST says otherwise (the chart sets 0.0.0.0 so
          // Prometheus can scrape the pod).
          host: process.env.HOST ?? "127.0.0.1",
          port: o.metricsPort,
          setting: "--metrics-port",
        });
        log.info({ stream, group: o.group, fields: fields.length, bus: out.driver }, "cdn real-time consumer running");
        rt.onShutdown(log, async () => {
          await ops.close();
          await running.stop();
          await sourceBus.shutdown();
          await out.shutdown();
        });
        await new Promise(() => undefined);
      },
    );
}
