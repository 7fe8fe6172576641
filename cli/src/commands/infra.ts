import type { Command } from "commander";
import { EXIT_UNHEALTHY } from "../exit-codes.ts";

/** `reeltime infra up | status | down`: the real local services (Kafka, Elasticsearch, MinIO, Kinesis, Prometheus). */
export function registerInfra(program: Command): void {
  const infra = program
    .command("infra")
    .description(
      "install, start, check and stop the real local services (Kafka, Elasticsearch, MinIO, Kinesis, Prometheus)",
    );

  infra
    .command("up")
    .description(
      "install what is missing (cached in ~/.cache/reeltime), start every service on 127.0.0.1, wait until healthy, " +
        "create topics/buckets/streams; idempotent",
    )
    .action(async () => {
      const { up } = await import("@reeltime/infra");
      await up();
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
    .action(async (opts: { purge?: boolean }) => {
      const { down } = await import("@reeltime/infra");
      await down({ purge: opts.purge === true });
    });
}
