import type { Command } from "commander";

export function registerUploads(program: Command): void {
  program
    .command("uploads")
    .description("run the upload API (POST /v1/uploads, GET /v1/uploads/:id, POST /v1/uploads/:id/complete)")
    .addHelpText(
      "after",
      "\nConfigured by environment: PORT (8082), HOST, REELTIME_WRITE_KEYS, REELTIME_CORS_ORIGINS,\n" +
        "REELTIME_S3_BUCKET (uploads land under uploads/), REELTIME_UPLOAD_MAX_BYTES, REELTIME_UPLOAD_TYPES, REELTIME_UPLOAD_QUOTA_BYTES,\n" +
        "REELTIME_PG_URL, REELTIME_BUS, REELTIME_S3_ENDPOINT and their connection settings (see uploads/README.md).",
    )
    .action(async () => {
      const { startUploads } = await import("@reeltime/uploads");
      await startUploads();
      await new Promise(() => undefined); // runs until SIGTERM/SIGINT
    });
}
