import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";
import { metricsPortOption } from "./options.ts";
import { segmentsOption } from "./transcode.ts";

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--interval must be 1-3600 seconds, got ${value}`);
  return n;
}

/** `reeltime pipeline watch`: transcodes uploads as they land in the archive. */
export function registerPipeline(program: Command): void {
  const pipeline = program.command("pipeline").description("the transcoding pipeline as a service");
  pipeline
    .command("watch")
    .description(
      "poll the uploads prefix of the archive (REELTIME_UPLOADS_PREFIX, default uploads/) and transcode each new " +
        "upload once; processed uploads are recorded under pipeline/processed/",
    )
    .option("--prefix <prefix>", "uploads prefix (overrides REELTIME_UPLOADS_PREFIX)")
    .option("--interval <seconds>", "seconds between two polls", seconds, 5)
    .option("--once", "one pass over the prefix, then exit")
    .addOption(segmentsOption())
    .action(async (o: { prefix?: string; interval: number; once?: boolean; segments: "cmaf" | "ts" }) => {
      const { watchCommand } = await import("@reeltime/pipeline");
      await watchCommand({
        intervalSeconds: o.interval,
        segmentFormat: o.segments,
        ...(o.prefix ? { prefix: o.prefix } : {}),
        ...(o.once ? { once: true } : {}),
      });
    });
  pipeline
    .command("worker")
    .description(
      "join the transcode workers' consumer group (reeltime-transcoders) on reeltime.transcode: each request " +
        "is claimed and transcoded by exactly one worker; serves /healthz, /readyz and /metrics",
    )
    .option("--metrics-port <port>", "port of /healthz, /readyz and /metrics", metricsPortOption, 9465)
    .addOption(segmentsOption())
    .action(async (o: { metricsPort: number; segments: "cmaf" | "ts" }) => {
      const { startWorkerService } = await import("@reeltime/pipeline");
      const { onShutdown, createLogger } = await import("@reeltime/runtime");
      const service = await startWorkerService({ metricsPort: o.metricsPort, segmentFormat: o.segments });
      onShutdown(createLogger("pipeline-worker"), () => service.close());
      await new Promise(() => undefined); // runs until SIGTERM/SIGINT
    });
  pipeline
    .command("enqueue")
    .description(
      "publish a transcode request for every upload under the prefix (REELTIME_UPLOADS_PREFIX, default uploads/); " +
        "an upload already transcoded is skipped by the workers",
    )
    .option("--prefix <prefix>", "uploads prefix (overrides REELTIME_UPLOADS_PREFIX)")
    .action(async (o: { prefix?: string }) => {
      const { enqueueUploads } = await import("@reeltime/pipeline");
      const requests = await enqueueUploads(o.prefix ? { prefix: o.prefix } : {});
      process.stdout.write(`${requests.length} transcode request(s) published to reeltime.transcode\n`);
    });
}
