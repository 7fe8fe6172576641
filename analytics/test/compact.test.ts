import { describe, expect, it } from "vitest";
import { compact, hourEnd } from "../src/compact/compact.ts";
import { ParquetMerger } from "../src/compact/merge.ts";
import { parseName, splitSuperseded } from "../src/compact/names.ts";
import { bindParams, loadNamedQueries } from "../src/queries/catalog.ts";
import { knownApiCalls, knownJobs, knownViews } from "./fixtures.ts";
import { archiveWithProcessors } from "./harness.ts";

describe("supersession by name", () => {
  it("a compacted file hides the files of its bus partition and offset range, in its folder only", () => {
    const k = (n: string) => ({ key: `events/event_type=playback/dt=2026-11-20/hour=10/${n}` });
    const { visible, superseded } = splitSuperseded([
      k("reeltime.playback-0-0-4.parquet"),
      k("reeltime.playback-0-5-9.parquet"),
      k("reeltime.playback-0-10-12.parquet"),
      k("reeltime.playback-1-3-7.parquet"),
      k("reeltime.playback-0-0-9.compacted.parquet"),
      { key: "events/event_type=playback/dt=2026-11-20/hour=11/reeltime.playback-0-5-9.parquet" },
    ]);
    expect(superseded.map((o) => o.key.split("/").at(-1))).toEqual([
      "reeltime.playback-0-0-4.parquet",
      "reeltime.playback-0-5-9.parquet",
    ]);
    expect(visible).toHaveLength(4);
  });

  it("hours close at their end", () => {
    expect(hourEnd("events/event_type=api/dt=2026-11-20/hour=23/")?.toISOString()).toBe("2026-11-21T00:00:00.000Z");
    expect(hourEnd("records/views/dt=2026-11-20/")).toBeUndefined();
  });
});

describe("compaction over the real archiver's files", () => {
  it("merges the small files of closed hours; counts, checksums and every query stay identical", async () => {
    // maxRows 2 cuts the archiver's files small: many files per hour and bus partition.
    const h = await archiveWithProcessors(
      [...knownViews(), ...knownJobs(), ...knownApiCalls()],
      {
        "events/event_type=playback/": 29,
        "events/event_type=job/": 13, // 14 published, one a duplicate delivery the archiver drops
        "events/event_type=api/": 4,
        "records/views/": 7,
      },
      {},
      { maxRows: 2 },
    );
    const merger = new ParquetMerger();
    try {
      const queries = await loadNamedQueries();
      const params: Record<string, Record<string, string>> = {
        qoe: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
        top_videos: { from_dt: "2026-11-20", to_dt: "2026-11-21", top_n: "5" },
        concurrent_viewers: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
        rendition_time: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
        job_steps: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
        last_api_calls: { from_dt: "2026-11-20", to_dt: "2026-11-21", n: "10" },
        qoe_by_video: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
        qoe_by_pop: { from_dt: "2026-11-20", to_dt: "2026-11-21" },
      };
      const answers = async () => {
        await h.engine.refresh();
        const out: Record<string, unknown> = {};
        for (const [name, q] of queries) out[name] = (await h.engine.run(q.sql, bindParams(q, params[name]!))).rows;
        return out;
      };
      const snapshot = async () => {
        const out: Record<string, { files: number; rows: number; checksum: string }> = {};
        for (const family of ["playback", "job", "api"]) {
          const files = (await h.archive.list(`events/event_type=${family}/`)).filter((o) =>
            o.key.endsWith(".parquet"),
          );
          const fp = await merger.fingerprint(await Promise.all(files.map((o) => h.archive.get(o.key))));
          out[family] = { files: files.length, ...fp };
        }
        return out;
      };
      const before = await snapshot();
      const answersBefore = await answers();
      expect(before.playback!.files).toBeGreaterThan(6);

      // 10:xx is closed by 12:00; 12:xx (the jobs) and the 21st are not.
      const report = await compact(h.archive, { before: new Date("2026-11-20T12:00:00.000Z") });
      const after = await snapshot();
      expect(after.playback).toEqual({ ...before.playback, files: after.playback!.files });
      expect(after.api).toEqual({ ...before.api, files: after.api!.files });
      expect(after.job).toEqual(before.job);
      expect(after.playback!.files).toBeLessThan(before.playback!.files);
      // One merged file per bus partition with data in 10:xx (2 partitions at most per family).
      const folder = "events/event_type=playback/dt=2026-11-20/hour=10/";
      const left = (await h.archive.list(folder)).map((o) => o.key.slice(folder.length));
      expect(left.every((n) => n.endsWith(".compacted.parquet"))).toBe(true);
      expect(left.length).toBeLessThanOrEqual(2);
      for (const g of report.groups) expect(g.after).toEqual(g.before);
      expect(await answers()).toEqual(answersBefore);

      // Idempotent: a second run finds nothing to merge.
      const again = await compact(h.archive, { before: new Date("2026-11-20T12:00:00.000Z") });
      expect(again.groups).toHaveLength(0);
      expect(await snapshot()).toEqual(after);
    } finally {
      await merger.close();
      await h.close();
    }
  }, 120_000);

  it("a crash at any step of the swap never shows an Athena/Hive reader a row twice; the next run ends with each event_id once", async () => {
    const h = await archiveWithProcessors(knownApiCalls(), { "events/event_type=api/": 4 }, {}, { maxRows: 1 });
    const merger = new ParquetMerger();
    try {
      const folder = "events/event_type=api/dt=2026-11-20/hour=10/";
      const small = await h.archive.list(folder);
      // The biggest bus partition's files get a duplicate: a retried event archived by a later cut.
      const bySource = Map.groupBy(small, (o) => parseName(o.key.slice(folder.length))!.source);
      const [source, files] = [...bySource].sort((x, y) => y[1].length - x[1].length)[0]!;
      const dupKey = `${folder}${source}-900-900.parquet`;
      const originals = new Map<string, Uint8Array>();
      for (const o of small) originals.set(o.key, await h.archive.get(o.key));
      originals.set(dupKey, originals.get(files[0]!.key)!);

      /** Rows per event_id in the files Athena/Hive would read: names not starting with _ or . */
      const athenaSees = async () => {
        const keys = (await h.archive.list(folder))
          .map((o) => o.key)
          .filter((k) => !/^[_.]/.test(k.slice(folder.length)));
        const counts = new Map<string, number>();
        for (const k of keys) {
          for (const r of await merger.columnValues(await h.archive.get(k), "event_id"))
            counts.set(String(r), (counts.get(String(r)) ?? 0) + 1);
        }
        return counts;
      };
      const reset = async () => {
        await h.archive.delete((await h.archive.list(folder)).map((o) => o.key));
        for (const [k, bytes] of originals) await h.archive.put(k, bytes);
      };
      await reset();
      const start = await athenaSees();
      expect([...start.values()].reduce((x, y) => x + y)).toBe(5);
      expect(start.size).toBe(4);
      const neverMore = (seen: Map<string, number>, where: string) => {
        for (const [id, n] of seen) expect(n, `${where}: ${id}`).toBeLessThanOrEqual(start.get(id) ?? 0);
        const doubled = [...seen].filter(([id, n]) => n > 1 && (start.get(id) ?? 0) <= 1);
        expect(doubled, where).toEqual([]);
      };

      const steps = ["staged", "committed", "inputs-deleted", "published"] as const;
      for (const crashAt of steps) {
        await reset();
        const during: string[] = [];
        const crashing = compact(h.archive, {
          before: new Date("2026-11-21T00:00:00.000Z"),
          families: ["api"],
          onStep: async (step) => {
            during.push(step);
            neverMore(await athenaSees(), `at ${step}`);
            if (step === crashAt) throw new Error(`killed after ${step}`);
          },
        });
        await expect(crashing).rejects.toThrow(`killed after ${crashAt}`);
        neverMore(await athenaSees(), `after a crash at ${crashAt}`);
        const resumed = await compact(h.archive, { before: new Date("2026-11-21T00:00:00.000Z"), families: ["api"] });
        const expected = crashAt === "staged" ? { finished: 0, undone: 1 } : { finished: 1, undone: 0 };
        expect(resumed.recovered, crashAt).toEqual(expected);
        const end = await athenaSees();
        expect([...end.keys()].sort(), crashAt).toEqual([...start.keys()].sort());
        expect(
          [...end.values()].every((n) => n === 1),
          crashAt,
        ).toBe(true);
        const left = (await h.archive.list(folder)).map((o) => o.key.slice(folder.length));
        expect(
          left.filter((k) => k.startsWith("_")),
          crashAt,
        ).toEqual([]);
        await h.engine.refresh();
        const n = (await h.engine.run("SELECT count(*) AS n FROM api_events WHERE dt = ?", ["2026-11-20"])).rows[0]!.n;
        expect(Number(n), crashAt).toBe(4);
      }
    } finally {
      await merger.close();
      await h.close();
    }
  }, 180_000);
});
