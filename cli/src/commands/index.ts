import type { Command } from "commander";
import { registerAnalytics } from "./analytics.ts";
import { registerCdn } from "./cdn.ts";
import { registerConfig } from "./config.ts";
import { registerDashboards } from "./dashboards.ts";
import { registerDev } from "./dev.ts";
import { registerErrors } from "./errors.ts";
import { registerEvents } from "./events.ts";
import { registerInfra } from "./infra.ts";
import { registerIngest } from "./ingest.ts";
import { registerLive } from "./live.ts";
import { registerPipeline } from "./pipeline.ts";
import { registerPlatform } from "./platform.ts";
import { registerProcess } from "./process.ts";
import { registerTranscode } from "./transcode.ts";
import { registerUploads } from "./uploads.ts";

/** Every subcommand of `reeltime`. Each module registers itself and imports heavy code lazily. */
export function registerCommands(program: Command): void {
  registerEvents(program);
  registerConfig(program);
  registerErrors(program);
  registerInfra(program);
  registerDev(program);
  registerIngest(program);
  registerUploads(program);
  registerTranscode(program);
  registerPipeline(program);
  registerLive(program);
  registerProcess(program);
  registerPlatform(program);
  registerAnalytics(program);
  registerDashboards(program);
  registerCdn(program);
}
