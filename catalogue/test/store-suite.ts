import type { Database } from "@reeltime/database";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogueEvent, reduceEvents, stateOf } from "../src/state.ts";
import { getVideo, listVideos, upsertVideo } from "../src/store.ts";
import { migrateCatalogue } from "../src/updater.ts";
import { makeEvent, specs } from "./events.ts";
import { referenceRecord } from "./reference.ts";

/**
 * The SQL upsert's guarantees, run on PGlite (unit tier) and on a PostgreSQL server
 * (integration tier). Apps are named per run, so a server that keeps earlier runs' rows is fine.
 */
export function storeSuite(kind: string, open: () => Promise<Database>): void {
  describe(`the SQL upsert (${kind})`, () => {
    let db: Database;
    const RUN = Math.floor(Math.random() * 36 ** 6).toString(36);
    let run = 0;
    beforeAll(async () => {
      db = await open();
      await migrateCatalogue(db);
    }, 120_000);
    afterAll(() => db.close());

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
            const app = `app-${RUN}-${++run}`;
            const events = all.map((s) => makeEvent({ ...s, app }));
            const byN = new Map(events.map((e, i) => [all[i]!.n, e]));
            const delivered: CatalogueEvent[] = [
              ...shuffled.map((s) => byN.get(s.n)!),
              ...again.map((i) => events[i]!),
            ];
            const points = [...new Set(cuts.map((c) => c % (delivered.length + 1)))].sort((a, b) => a - b);
            let from = 0;
            // Per video: how many upserts changed its row (the insert included), counted here.
            const changes = new Map<string, number>();
            for (const p of [...points, delivered.length]) {
              for (const s of reduceEvents(delivered.slice(from, p)).values()) {
                const { changed, revision } = await upsertVideo(db, s);
                if (changed) changes.set(s.video_id, (changes.get(s.video_id) ?? 0) + 1);
                expect(revision).toBe(changes.get(s.video_id));
              }
              from = p;
            }
            for (const video of ["v1", "v2"])
              expect(await getVideo(db, app, video)).toEqual(referenceRecord(events, app, video));
            // The same events once more change nothing, the revision neither.
            for (const s of reduceEvents(events).values())
              expect(await upsertVideo(db, s)).toMatchObject({ changed: false, revision: changes.get(s.video_id) });
          },
        ),
        { numRuns: 40 },
      );
    });

    it("loses no fact when every event of a video is upserted at once, each in its own transaction", async () => {
      const app = `app-${RUN}-concurrent`;
      const events = [
        makeEvent({
          type: "upload.created",
          n: 1,
          minute: 0,
          app,
          video: "c1",
          title: "Sintel",
          email: "a@example.com",
        }),
        makeEvent({ type: "upload.completed", n: 2, minute: 1, app, video: "c1" }),
        makeEvent({ type: "job.created", n: 3, minute: 2, app, video: "c1" }),
        makeEvent({ type: "job.step_completed", n: 4, minute: 3, app, video: "c1", step: "probe" }),
        makeEvent({
          type: "job.step_completed",
          n: 5,
          minute: 3,
          app,
          video: "c1",
          step: "rendition",
          rendition: "1080p",
        }),
        makeEvent({
          type: "job.step_completed",
          n: 6,
          minute: 3,
          app,
          video: "c1",
          step: "rendition",
          rendition: "720p",
        }),
        makeEvent({ type: "job.step_completed", n: 7, minute: 4, app, video: "c1", step: "thumbnails" }),
        makeEvent({ type: "job.completed", n: 8, minute: 5, app, video: "c1" }),
      ];
      const results = await Promise.all(events.map((e) => upsertVideo(db, stateOf(e)!)));
      expect(await getVideo(db, app, "c1")).toEqual(referenceRecord(events, app, "c1"));
      // The changes were serialised by the row lock: their revisions are 1, 2, … with no gap or repeat.
      const revisions = results
        .filter((r) => r.changed)
        .map((r) => r.revision)
        .sort((a, b) => a - b);
      expect(revisions).toEqual(revisions.map((_, i) => i + 1));
    });

    it("lists with every filter as a bound parameter: a value full of SQL finds nothing and breaks nothing", async () => {
      const evil = "x' OR '1'='1";
      expect(await listVideos(db, { app_id: evil, limit: 10 })).toEqual([]);
      expect(await getVideo(db, evil, evil)).toBeUndefined();
      expect((await listVideos(db, { limit: 1000 })).length).toBeGreaterThan(0);
    });
  });
}
