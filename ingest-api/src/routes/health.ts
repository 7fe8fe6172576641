import type { FastifyPluginAsync } from "fastify";
import type { RoutesOptions } from "../context.ts";

/**
 * /healthz (the process is up), /readyz (bus and search reachable) and /metrics: at the root,
 * outside the API's load shedding, so probes and scrapes stay answerable under load.
 */
export const healthRoutes: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const [bus, search] = await Promise.all([ctx.bus.health(), ctx.search.health()]);
    const ok = bus.ok && search.ok;
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "not ready", bus, search });
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};
