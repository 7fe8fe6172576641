import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run everything in one process on the embedded default (ingest, processors, pipeline, live view)")
    .action(() => {
      throw new ReeltimeError(
        "REELTIME_ERR_NOT_BUILT",
        "the embedded main job is not built yet: it needs the ingest API, processors and pipeline (see the issues). " +
          "Available now: `reeltime events` (the contract) and `reeltime infra` (local services).",
      );
    });
}
