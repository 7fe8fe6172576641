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
        "events/event_type=job/": 14,
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

  it("a crash between writing the merged file and deleting the inputs loses and doubles nothing", async () => {
    const h = await archiveWithProcessors(knownApiCalls(), { "events/event_type=api/": 4 }, {}, { maxRows: 1 });
    try {
      const folder = "events/event_type=api/dt=2026-11-20/hour=10/";
      const small = await h.archive.list(folder);
      expect(small.length).toBeGreaterThanOrEqual(2);
      // Simulate the crash: run compaction on a copy of the archive whose deletes fail.
      const crashing = { ...h.archive, delete: async () => Promise.reject(new Error("killed")) };
      await expect(compact(crashing, { before: new Date("2026-11-21T00:00:00.000Z") })).rejects.toThrow("killed");
      const both = await h.archive.list(folder);
      expect(both.length).toBeGreaterThan(small.length); // merged file next to the inputs
      await h.engine.refresh();
      const count = async () =>
        (await h.engine.run("SELECT count(*) AS n FROM api_events WHERE dt = ?", ["2026-11-20"])).rows[0]!.n;
      expect(await count()).toBe(4); // readers skip the superseded inputs
      const resumed = await compact(h.archive, { before: new Date("2026-11-21T00:00:00.000Z") });
      // The inputs of the merged file(s) are the leftovers: files of a bus partition with one
      // file only (app-2's call when it hashed to the other partition) were never inputs.
      const mergedSources = new Set(
        both
          .filter((o) => o.key.endsWith(".compacted.parquet"))
          .map((o) => parseName(o.key.slice(folder.length))!.source),
      );
      const inputs = small.filter((o) => mergedSources.has(parseName(o.key.slice(folder.length))!.source));
      expect(inputs.length).toBeGreaterThanOrEqual(2);
      expect(resumed.leftoversDeleted).toBe(inputs.length);
      await h.engine.refresh();
      expect(await count()).toBe(4);
      const final = await h.archive.list(folder);
      expect(splitSuperseded(final).superseded).toEqual([]);
      expect(final.length).toBe(small.length - resumed.leftoversDeleted + (both.length - small.length));
    } finally {
      await h.close();
    }
  }, 120_000);
});
