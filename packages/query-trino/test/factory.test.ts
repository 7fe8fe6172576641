import { createArchive, createQueryEngine } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { closedPort } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";

describe("factory: the trino query driver", () => {
  it("REELTIME_QUERY=trino loads @reeltime/query-trino lazily, with its settings", async () => {
    const env = loadEnv(ConnectionEnv, {
      REELTIME_QUERY: "trino",
      REELTIME_TRINO_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(env.REELTIME_TRINO_CATALOG).toBe("hive");
    expect(env.REELTIME_TRINO_SCHEMA).toBe("reeltime");
    const archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: "/tmp/reeltime-trino-factory" }));
    const engine = await createQueryEngine(archive, env);
    expect(engine.driver).toBe("trino");
    // Nothing listens there: health says so instead of throwing.
    expect(await engine.health()).toMatchObject({ ok: false, driver: "trino" });
    await engine.shutdown();
    await archive.shutdown();
  });
});
