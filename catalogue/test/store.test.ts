import { type Database, MEMORY_URL, openDatabase } from "@reeltime/database";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogueEvent, reduceEvents } from "../src/state.ts";
import { getVideo, listVideos, upsertVideo } from "../src/store.ts";
import { migrateCatalogue } from "../src/updater.ts";
import { makeEvent, specs } from "./events.ts";
import { referenceRecord } from "./reference.ts";

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ REELTIME_PG_URL: MEMORY_URL });
  await migrateCatalogue(db);
}, 120_000);
afterAll(() => db.close());

let run = 0;

describe("the SQL upsert", () => {
  it("leaves each video's row equal to the reference for any batches, order and repeats of its events", async () => {
    await fc.assert(
      fc.asyncProperty(
        specs(["v1", "v2"], 12).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }),
            fc.array(fc.nat(), { maxLength: 4 }),
            fc.array(fc.nat({ max: s.length - 1 }), { maxLength: 4 }),
          ),
        ),
        async ([all, shuffled, cuts, again]) => {
          const app = `app-${++run}`;
          const events = all.map((s) => makeEvent({ ...s, app }));
          const byN = new Map(events.map((e, i) => [all[i]!.n, e]));
          const delivered: CatalogueEvent[] = [...shuffled.map((s) => byN.get(s.n)!), ...again.map((i) => events[i]!)];
          const points = [...new Set(cuts.map((c) => c % (delivered.length + 1)))].sort((a, b) => a - b);
          let from = 0;
          for (const p of [...points, delivered.length]) {
            for (const s of reduceEvents(delivered.slice(from, p)).values()) await upsertVideo(db, s);
            from = p;
          }
          for (const video of ["v1", "v2"]) {
            const want = referenceRecord(events, app, video);
            expect(await getVideo(db, app, video)).toEqual(want);
          }
          // The same events once more change nothing.
          for (const s of reduceEvents(events).values()) expect((await upsertVideo(db, s)).changed).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("lists with every filter as a bound parameter: a value full of SQL finds nothing and breaks nothing", async () => {
    const evil = "x' OR '1'='1";
    expect(await listVideos(db, { app_id: evil, limit: 10 })).toEqual([]);
    expect(await getVideo(db, evil, evil)).toBeUndefined();
    expect((await listVideos(db, { limit: 1000 })).length).toBeGreaterThan(0);
  });
});
