import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSearchStore } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("createSearchStore", () => {
  it("builds the store REELTIME_SEARCH names, and shutdown is idempotent", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-factory-"));
    try {
      for (const driver of ["embedded", "elasticsearch"]) {
        const env = loadEnv(ConnectionEnv, { REELTIME_SEARCH: driver, REELTIME_DATA_DIR: dir });
        const store = await createSearchStore(env);
        expect(store.driver).toBe(driver);
        await store.shutdown();
        await store.shutdown();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a user name without a password for Elasticsearch, naming both variables", async () => {
    const env = loadEnv(ConnectionEnv, { REELTIME_SEARCH: "elasticsearch", REELTIME_ES_USERNAME: "elastic" });
    await expect(createSearchStore(env)).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
      message: expect.stringMatching(/REELTIME_ES_USERNAME.*REELTIME_ES_PASSWORD/),
    });
  });
});
