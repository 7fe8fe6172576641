import { randomBytes } from "node:crypto";
import { ReeltimeError } from "@reeltime/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { deleteEndpoint, type EndpointRow, insertEndpoint, listEndpoints, type Sql } from "./store.ts";
import { newSigningSecret } from "./webhooks/signing.ts";
import { checkTargetUrl, guardOn } from "./webhooks/targets.ts";

/** Endpoints an app may register. */
export const MAX_ENDPOINTS_PER_APP = 16;

export interface EndpointsPluginOptions {
  db: Sql;
  /** The app the request's write key belongs to (the server's key guard has checked it). */
  appOf(request: FastifyRequest): string;
  /** The SSRF guard; default: on with REELTIME_ENV=production. */
  guard?: boolean;
  now?: () => number;
}

const shown = (e: EndpointRow) => ({
  id: e.endpoint_id,
  url: e.url,
  ...(e.description ? { description: e.description } : {}),
  created_at: e.created_at instanceof Date ? e.created_at.toISOString() : e.created_at,
});

/**
 * The webhook endpoints of the request's app, as a Fastify plugin the host registers under
 * its /v1 prefix (the ingest server: behind its read guard, a server-side token):
 * - POST /v1/webhooks/endpoints {url, description?} → 201 {id, url, secret, created_at}: the
 *   signing secret is in this answer only;
 * - GET /v1/webhooks/endpoints → {endpoints: [{id, url, description, created_at}]} (no secrets);
 * - DELETE /v1/webhooks/endpoints/:id → 204 (its pending deliveries are cancelled), 404 if the
 *   app has no such endpoint.
 * A URL that is not http(s) or, in production, points at a non-public address is refused with
 * REELTIME_ERR_WEBHOOK_TARGET (400).
 */
export async function endpointsPlugin(app: FastifyInstance, opts: EndpointsPluginOptions): Promise<void> {
  const guard = opts.guard ?? guardOn();
  const now = opts.now ?? Date.now;

  app.post("/webhooks/endpoints", async (request, reply) => {
    const appId = opts.appOf(request);
    const body = request.body as { url?: unknown; description?: unknown } | undefined;
    if (!body || typeof body !== "object" || typeof body.url !== "string")
      throw new ReeltimeError("REELTIME_ERR_BODY", 'send a JSON object with "url" (and optionally "description")');
    if (body.description !== undefined && (typeof body.description !== "string" || body.description.length > 256))
      throw new ReeltimeError("REELTIME_ERR_BODY", '"description" must be a string of at most 256 characters');
    const url = checkTargetUrl(body.url, { guard }).toString();
    const existing = await listEndpoints(opts.db, appId);
    if (existing.length >= MAX_ENDPOINTS_PER_APP)
      throw new ReeltimeError(
        "REELTIME_ERR_WEBHOOK_LIMIT",
        `app ${appId} has ${existing.length} webhook endpoints, the most it may have; delete one first`,
      );
    const row = {
      endpoint_id: `we_${randomBytes(12).toString("hex")}`,
      app_id: appId,
      url,
      description: (body.description as string | undefined) ?? null,
      secret: newSigningSecret(),
    };
    const at = now();
    await insertEndpoint(opts.db, row, at);
    reply.code(201);
    return { ...shown({ ...row, created_at: new Date(at) }), secret: row.secret };
  });

  app.get("/webhooks/endpoints", async (request) => {
    const rows = await listEndpoints(opts.db, opts.appOf(request));
    return { endpoints: rows.map(shown) };
  });

  app.delete("/webhooks/endpoints/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await deleteEndpoint(opts.db, opts.appOf(request), id, now())))
      throw new ReeltimeError("REELTIME_ERR_NOT_FOUND", `no webhook endpoint ${id.slice(0, 64)} in this app`);
    reply.code(204);
    return null;
  });
}
