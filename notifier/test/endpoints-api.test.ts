import type { Database } from "@reeltime/database";
import { ReeltimeError } from "@reeltime/runtime";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointsPlugin, MAX_ENDPOINTS_PER_APP } from "../src/endpoints-api.ts";
import { insertDelivery } from "../src/store.ts";
import { memoryDb } from "./helpers.ts";

let db: Database;
beforeAll(async () => {
  db = await memoryDb();
}, 120_000);
afterAll(() => db.close());
beforeEach(async () => {
  await db.query("TRUNCATE notifier_endpoints, notifier_deliveries, notifier_attempts");
});

/** The plugin as the ingest server mounts it: the app from the key guard (here a header), errors answered by code. */
async function server(guard: boolean): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    const e = err as ReeltimeError;
    reply.code(e instanceof ReeltimeError ? e.status : 500).send({ error: { code: e.code, message: e.message } });
  });
  await app.register(endpointsPlugin, { prefix: "/v1", db, guard, appOf: (req) => String(req.headers["x-app"]) });
  return app;
}

describe("the endpoints API", () => {
  it("creates an endpoint with a secret shown once, lists without secrets, deletes (cancelling its pending deliveries)", async () => {
    const app = await server(false);
    const created = await app.inject({
      method: "POST",
      url: "/v1/webhooks/endpoints",
      headers: { "x-app": "acme" },
      payload: { url: "http://127.0.0.1:9999/hook", description: "staging" },
    });
    expect(created.statusCode).toBe(201);
    const ep = created.json() as { id: string; url: string; secret: string; description: string };
    expect(ep).toMatchObject({ url: "http://127.0.0.1:9999/hook", description: "staging" });
    expect(ep.id).toMatch(/^we_[0-9a-f]{24}$/);
    expect(ep.secret).toMatch(/^whsec_/);

    const listed = await app.inject({ url: "/v1/webhooks/endpoints", headers: { "x-app": "acme" } });
    expect(listed.json()).toEqual({
      endpoints: [{ id: ep.id, url: ep.url, description: "staging", created_at: expect.any(String) }],
    });
    expect(listed.body).not.toContain(ep.secret);
    // Another app sees none of it and cannot delete it.
    expect((await app.inject({ url: "/v1/webhooks/endpoints", headers: { "x-app": "other" } })).json()).toEqual({
      endpoints: [],
    });
    const foreign = await app.inject({
      method: "DELETE",
      url: `/v1/webhooks/endpoints/${ep.id}`,
      headers: { "x-app": "other" },
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe("REELTIME_ERR_NOT_FOUND");

    await insertDelivery(
      db,
      {
        notification_id: "ntf_pending",
        app_id: "acme",
        video_id: "v1",
        trigger: "video.ready",
        channel: "webhook",
        endpoint_id: ep.id,
        recipient: null,
        title: null,
        payload: "{}",
      },
      Date.now(),
    );
    const deleted = await app.inject({
      method: "DELETE",
      url: `/v1/webhooks/endpoints/${ep.id}`,
      headers: { "x-app": "acme" },
    });
    expect(deleted.statusCode).toBe(204);
    expect((await db.query("SELECT state FROM notifier_deliveries")).rows).toEqual([{ state: "cancelled" }]);
    expect((await app.inject({ url: "/v1/webhooks/endpoints", headers: { "x-app": "acme" } })).json()).toEqual({
      endpoints: [],
    });
    await app.close();
  });

  it("refuses non-public targets in production (400 REELTIME_ERR_WEBHOOK_TARGET), bad bodies, and more than the limit", async () => {
    const app = await server(true);
    const post = (payload: unknown, appId = "acme") =>
      app.inject({
        method: "POST",
        url: "/v1/webhooks/endpoints",
        headers: { "x-app": appId },
        payload: payload as object,
      });
    for (const url of [
      "http://127.0.0.1/hook",
      "http://169.254.169.254/",
      "http://[::ffff:10.0.0.1]/",
      "ftp://x.example/",
    ]) {
      const r = await post({ url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error.code).toBe("REELTIME_ERR_WEBHOOK_TARGET");
    }
    expect((await post({ nope: 1 })).json().error.code).toBe("REELTIME_ERR_BODY");
    expect((await post({ url: "https://hooks.example.com/", description: 7 })).json().error.code).toBe(
      "REELTIME_ERR_BODY",
    );
    for (let i = 0; i < MAX_ENDPOINTS_PER_APP; i++)
      expect((await post({ url: `https://hooks.example.com/${i}` })).statusCode).toBe(201);
    const over = await post({ url: "https://hooks.example.com/one-more" });
    expect(over.statusCode).toBe(409);
    expect(over.json().error.code).toBe("REELTIME_ERR_WEBHOOK_LIMIT");
    expect((await post({ url: "https://hooks.example.com/" }, "other")).statusCode).toBe(201);
    await app.close();
  });
});
