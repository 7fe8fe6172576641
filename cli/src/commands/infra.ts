import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";
import { EXIT_UNHEALTHY } from "../exit-codes.ts";

/** Parses `--only kafka,postgres` into service names; an unknown name is a usage error naming the known ones. */
async function onlyServices(value: string | undefined) {
  if (value === undefined) return undefined;
  const { SERVICE_NAMES } = await import("@reeltime/infra");
  const names = value
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const known = new Set<string>(SERVICE_NAMES);
  const unknown = names.filter((n) => !known.has(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `--only takes service names separated by commas, one of ${SERVICE_NAMES.join(", ")}` +
        (unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""),
    );
  }
  return names as (typeof SERVICE_NAMES)[number][];
}

/** `reeltime infra up | status | down`: the real local services (Kafka, Elasticsearch, SeaweedFS for S3, PostgreSQL, ...). */
export function registerInfra(program: Command): void {
  const infra = program
    .command("infra")
    .description(
      "install, start, check and stop the real local services (Kafka, Elasticsearch, SeaweedFS (S3), Kinesis, Prometheus, " +
        "Redis, dynalite, the OpenTelemetry Collector, PostgreSQL)",
    );

  infra
    .command("up")
    .description(
      "install what is missing (cached in ~/.cache/reeltime), start every service on 127.0.0.1, wait until healthy, " +
        "create topics/buckets/streams; idempotent",
    )
    .option("--only <services>", "start only these services (comma-separated names, e.g. postgres)")
    .action(async (opts: { only?: string }) => {
      const only = await onlyServices(opts.only);
      const { up } = await import("@reeltime/infra");
      await up(only ? { only } : {});
    });

  infra
    .command("status")
    .description("show each service with its port, PID, health and version (exit code 3 when any is not healthy)")
    .option("--json", "print JSON instead of a table")
    .action(async (opts: { json?: boolean }) => {
      const { formatStatusTable, status } = await import("@reeltime/infra");
      const statuses = await status();
      process.stdout.write(
        opts.json ? `${JSON.stringify({ services: statuses }, null, 2)}\n` : `${formatStatusTable(statuses)}\n`,
      );
      if (statuses.some((s) => !s.healthy)) process.exitCode = EXIT_UNHEALTHY;
    });

  infra
    .command("down")
    .description("stop the services `infra up` started (by PID: SIGTERM, then SIGKILL); data is kept")
    .option("--purge", "also delete the services' data (logs are kept)")
    .option("--only <services>", "stop (and with --purge, delete the data of) only these services (comma-separated)")
    .action(async (opts: { purge?: boolean; only?: string }) => {
      const only = await onlyServices(opts.only);
      const { down } = await import("@reeltime/infra");
      await down({ purge: opts.purge === true, ...(only ? { only } : {}) });
    });
}
