import type { Command } from "commander";

export function registerIngest(program: Command): void {
  program
    .command("ingest")
    .description("run the ingest API (POST /v1/events, /v1/cmcd; GET /v1/events/last, /v1/search; /metrics)")
    .addHelpText(
      "after",
      "\nConfigured by environment: PORT (8080), HOST, REELTIME_WRITE_KEYS, REELTIME_READ_TOKENS,\n" +
        "REELTIME_CORS_ORIGINS, REELTIME_BUS, REELTIME_SEARCH and their connection settings (see the README).",
    )
    .action(async () => {
      const { startIngest } = await import("@reeltime/ingest-api");
      await startIngest();
      await new Promise(() => undefined); // runs until SIGTERM/SIGINT
    });
}
