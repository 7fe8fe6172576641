import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleEvent } from "@reeltime/events";
import type { StoredEvent } from "@reeltime/ports";
import { searchConformance } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createEmbeddedSearchStore } from "../../src/search/embedded/index.ts";

const root = await mkdtemp(join(tmpdir(), "reeltime-search-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const dataDir = join(root, "data");
const notADir = join(root, "a-file");
await writeFile(notADir, "");

searchConformance("embedded", async () => createEmbeddedSearchStore({ REELTIME_DATA_DIR: dataDir }), {
  makeDownStore: async () => createEmbeddedSearchStore({ REELTIME_DATA_DIR: join(notADir, "data") }),
});

describe("embedded search files", () => {
  it("cuts off a torn last line left by a crash and keeps every complete record", async () => {
    const dir = join(root, "torn");
    const first = createEmbeddedSearchStore({ REELTIME_DATA_DIR: dir });
    const e = { ...exampleEvent("playback.play"), received_at: new Date().toISOString() } as StoredEvent;
    await first.index([e]);
    await first.shutdown();
    await writeFile(join(dir, "search", "events.ndjson"), '{"event_id":"torn', { flag: "a" });
    const second = createEmbeddedSearchStore({ REELTIME_DATA_DIR: dir });
    expect((await second.lastN({}, 10)).map((x) => x.event_id)).toEqual([e.event_id]);
    const f = { ...exampleEvent("playback.pause"), received_at: new Date().toISOString() } as StoredEvent;
    await second.index([f]);
    await second.shutdown();
    const third = createEmbeddedSearchStore({ REELTIME_DATA_DIR: dir });
    expect((await third.lastN({}, 10)).length).toBe(2);
    await third.shutdown();
  });
});
