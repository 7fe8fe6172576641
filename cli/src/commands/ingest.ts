import type { ReadMount } from "@reeltime/ingest-api";
import type { Command } from "commander";
import type { FastifyRequest } from "fastify";

export function registerIngest(program: Command): void {
  program
    .command("ingest")
    .description(
      "run the ingest API (POST /v1/events, /v1/cmcd; GET /v1/events/last, /v1/search, /v1/live/viewers; /metrics)",
    )
    .addHelpText(
      "after",
      "\nConfigured by environment: PORT (8080), HOST, REELTIME_WRITE_KEYS, REELTIME_READ_TOKENS,\n" +
        "REELTIME_CORS_ORIGINS, REELTIME_BUS, REELTIME_SEARCH and their connection settings (see the README);\n" +
        "REELTIME_ARCHIVE (and REELTIME_S3_BUCKET) for GET /v1/live/viewers, read from _live/viewers/ only.\n" +
        "With REELTIME_PG_URL it also serves the catalogue (GET /v1/videos, /v1/videos/:id) and the webhook\n" +
        "endpoints (POST/GET/DELETE /v1/webhooks/endpoints), both with a read token.",
    )
    .action(async () => {
      const { startIngest } = await import("@reeltime/ingest-api");
      const platform = process.env.REELTIME_PG_URL ? await platformRoutes() : undefined;
      await startIngest(platform ?? {});
      await new Promise(() => undefined); // runs until SIGTERM/SIGINT
    });
}

/**
 * The platform's read-token routes the ingest server mounts when a shared database is
 * configured: the catalogue's videos and the notifier's webhook endpoints. Endpoints are
 * managed with an app's read token (a server-side secret), never a write key (it ships in web
 * pages), and never with a token that reads every app.
 */
async function platformRoutes(): Promise<{ readMounts: ReadMount[]; onClose: () => Promise<void> }> {
  const [{ catalogueRoutes, openCatalogueDatabase }, { endpointsPlugin, openNotifierDatabase }, { ReeltimeError }] =
    await Promise.all([import("@reeltime/catalogue"), import("@reeltime/notifier"), import("@reeltime/runtime")]);
  const catalogueDb = await openCatalogueDatabase();
  const notifierDb = await openNotifierDatabase();
  const oneApp = (appOf: (req: FastifyRequest) => string) => (req: FastifyRequest) => {
    const app = appOf(req);
    if (app === "*")
      throw new ReeltimeError(
        "REELTIME_ERR_FORBIDDEN",
        "a token that reads every app cannot manage webhook endpoints; use the app's own read token",
      );
    return app;
  };
  return {
    readMounts: [
      async (api, appOf) => {
        await api.register(catalogueRoutes, { db: catalogueDb, appOf });
      },
      async (api, appOf) => {
        await api.register(endpointsPlugin, { db: notifierDb, appOf: oneApp(appOf) });
      },
    ],
    onClose: async () => {
      await catalogueDb.close();
      await notifierDb.close();
    },
  };
}
