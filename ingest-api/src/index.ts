export { enrich, parseUserAgent, truncateIp } from "@reeltime/events";
export { buildApp, redactUrl } from "./app.ts";
export { cmcdToEvent, decodeCmcdBody, toContract } from "./cmcd.ts";
export { type IngestConfig, IngestEnv, loadIngestConfig } from "./config.ts";
export type { AppDeps, ReadMount } from "./context.ts";
export { ingestMetrics } from "./metrics.ts";
export { startIngest } from "./server.ts";
