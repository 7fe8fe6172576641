// Routes another workspace mounts behind the read guard (the catalogue's /v1/videos, the
// notifier's endpoints): the same token check, the token's app handed to them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus, createSearchStore } from "@reeltime/connectors";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadIngestConfig } from "../src/config.ts";
import { ADMIN_TOKEN, READ_TOKEN, testEnv, WRITE_KEY } from "./helpers.ts";

let app: FastifyInstance;
let dir: string;
const seen: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-ingest-mounts-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  await bus.start();
  await search.start();
  app = await buildApp({
    config: loadIngestConfig(testEnv()),
    bus,
    search,
    logger: createLogger("ingest-test", { level: "silent" }),
    readMounts: [
      async (api, appOf) => {
        api.get("/probe", async (req) => {
          const appId = appOf(req);
          seen.push(appId);
          return { app: appId };
        });
      },
    ],
  });
  app.addHook("onClose", async () => {
    await bus.shutdown();
    await search.shutdown();
  });
});

afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (headers: Record<string, string>) => app.inject({ method: "GET", url: "/v1/probe", headers });

describe("read mounts", () => {
  it("answers under /v1 with the token's app; no token, a bad one or a write key is refused before the route runs", async () => {
    const ok = await get({ authorization: `Bearer ${READ_TOKEN}` });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ app: "shop" });
    const admin = await get({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.json()).toEqual({ app: "*" });
    for (const headers of [{}, { authorization: "Bearer rt_nope_0000000000000000" }, { "x-reeltime-key": WRITE_KEY }]) {
      const res = await get(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json().error.code).toBe("REELTIME_ERR_AUTH");
    }
    expect(seen).toEqual(["shop", "*"]);
  });
});
