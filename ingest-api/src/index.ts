// What other workspaces import from the ingest API (the CLI, the dev server, bench, tests), nothing more.
export { buildApp } from "./app.ts";
export { IngestEnv, loadIngestConfig } from "./config.ts";
export type { ReadMount } from "./context.ts";
export { ingestMetrics } from "./metrics.ts";
export { startIngest } from "./server.ts";
