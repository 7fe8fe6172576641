import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--interval must be 1-3600 seconds, got ${value}`, 2);
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
    .action(async (o: { prefix?: string; interval: number; once?: boolean }) => {
      const { watchCommand } = await import("@reeltime/pipeline");
      await watchCommand({
        intervalSeconds: o.interval,
        ...(o.prefix ? { prefix: o.prefix } : {}),
        ...(o.once ? { once: true } : {}),
      });
    });
}
