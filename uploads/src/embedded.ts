import { randomBytes } from "node:crypto";
import type { Archive, Bus } from "@reeltime/connectors";
import type { Logger } from "@reeltime/runtime";
import type { FastifyPluginAsync } from "fastify";
import { uploadRoutes } from "./app.ts";
import { loadUploadsConfig } from "./config.ts";
import { openUploadsDatabase } from "./database.ts";
import { ArchiveParts } from "./parts.ts";
import { type UploadSessions, UploadStore } from "./store.ts";

export interface UploadsOnArchiveOptions {
  bus: Bus;
  archive: Archive;
  logger: Logger;
  /**
   * The upload API's settings (REELTIME_WRITE_KEYS, REELTIME_CORS_ORIGINS, REELTIME_UPLOAD_*) and
   * the database's (REELTIME_PG_URL, else PGlite under REELTIME_DATA_DIR).
   */
  env: NodeJS.ProcessEnv;
  /** The host's base URL as clients reach it; part URLs are made from it when handed out. */
  publicUrl: () => string;
  /** The part URLs' HMAC key (default: 32 random bytes each start; URLs handed out before a restart stop working). */
  secret?: Uint8Array;
  /** Upload sessions (default: SQL in the database `env` names, opened and closed here). */
  store?: UploadSessions;
  /** How often final events that missed the bus are published again (default 30 s; 0: never). */
  republishEveryMs?: number;
  now?: () => Date;
}

/**
 * The upload API on the embedded default (`reeltime dev`): no S3 server, so the API takes the
 * parts itself ({@link ArchiveParts}) into the archive, under the same keys
 * (`uploads/<app>/<video>/source.<ext>`), and publishes the one `upload.completed` on the bus
 * the pipeline workers consume. Returns the routes for the host to register under `/v1`
 * (the same routes and client contract as `reeltime uploads` on S3).
 */
export async function uploadsOnArchive(
  o: UploadsOnArchiveOptions,
): Promise<{ routes: FastifyPluginAsync; parts: ArchiveParts; close(): Promise<void> }> {
  const config = loadUploadsConfig(o.env);
  const db = o.store === undefined ? await openUploadsDatabase(o.env) : undefined;
  const store = o.store ?? new UploadStore(db!);
  const parts = new ArchiveParts({
    archive: o.archive,
    secret: o.secret ?? randomBytes(32),
    urlSeconds: config.env.REELTIME_UPLOAD_URL_SECONDS,
    publicUrl: o.publicUrl,
    ...(o.now ? { now: o.now } : {}),
  });
  const routes: FastifyPluginAsync = async (api) => {
    await api.register(uploadRoutes, {
      config,
      bus: o.bus,
      store,
      bucket: parts,
      logger: o.logger,
      ...(o.now ? { now: o.now } : {}),
      ...(o.republishEveryMs !== undefined ? { republishEveryMs: o.republishEveryMs } : {}),
    });
  };
  return { routes, parts, close: async () => db?.close() };
}
