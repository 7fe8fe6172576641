import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus } from "@reeltime/connectors";
import { MEMORY_URL } from "@reeltime/database";
import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCatalogueUpdater } from "../src/service.ts";
import { getVideo } from "../src/store.ts";
import { makeEvent } from "./events.ts";
import { RecordingIndex, waitFor } from "./helpers.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-catalogue-service-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it("starts the updater on a database it opens and migrates, and closes it on stop", async () => {
  const env = { REELTIME_DATA_DIR: dir, REELTIME_PG_URL: MEMORY_URL };
  const bus = await createBus(loadEnv(ConnectionEnv, env));
  await bus.start();
  await bus.ensureTopics([
    { name: TOPICS.upload, partitions: 1 },
    { name: TOPICS.job, partitions: 1 },
    { name: TOPICS.deadLetter, partitions: 1 },
  ]);
  const search = new RecordingIndex();
  const service = await startCatalogueUpdater({
    bus,
    search,
    log: createLogger("catalogue-test", { level: "silent" }),
    env,
  });
  try {
    expect(service.running.processor.group).toBe("reeltime-catalogue");
    const e = makeEvent({ type: "upload.completed", n: 1, minute: 0, app: "app-s", video: "s1", title: "Sintel" });
    await bus.publish(TOPICS.upload, [{ key: "s1", value: new TextEncoder().encode(JSON.stringify(e)) }]);
    await waitFor("the video", async () => (await getVideo(service.db, "app-s", "s1"))?.status === "uploaded");
    expect(search.records.get("app-s/s1")).toMatchObject({ title: "Sintel", status: "uploaded" });
  } finally {
    await service.stop();
    await bus.shutdown();
  }
  await expect(service.db.query("SELECT 1", [])).rejects.toThrow();
}, 120_000);
