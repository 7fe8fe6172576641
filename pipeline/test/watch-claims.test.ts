// Hermetic: the filesystem archive and a stand-in for the ffmpeg DAG that only records what it
// was asked to run. Several `pipeline watch` instances poll one prefix, as on several hosts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { JobRequest, TranscodePipeline } from "../src/pipeline.ts";
import { type ProcessedRecord, UploadWatcher } from "../src/watch.ts";
import { JobClaims } from "../src/worker/claims.ts";
import { requestIdFor } from "../src/worker/request.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fsArchive(): Promise<Archive> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-watch-claims-"));
  const archive = await createArchive({
    ...loadEnv(ConnectionEnv, {}),
    REELTIME_DATA_DIR: dir,
    REELTIME_ARCHIVE: "fs",
  });
  await archive.start();
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => archive.shutdown(),
  );
  return archive;
}

/** Records each run; a run lasts `ms`, or until its signal aborts when `untilAborted`. */
function recordingPipeline(runs: JobRequest[], o: { ms?: number; untilAborted?: boolean } = {}): TranscodePipeline {
  return {
    run: async (req: JobRequest) => {
      runs.push(req);
      if (o.untilAborted)
        await new Promise<void>((resolve) => req.signal?.addEventListener("abort", () => resolve(), { once: true }));
      else await new Promise((r) => setTimeout(r, o.ms ?? 20));
      return {
        jobId: `job-${runs.length}`,
        videoId: req.videoId ?? "v",
        status: req.signal?.aborted ? "failed" : "completed",
        durationMs: 1,
        renditions: [],
      };
    },
  } as unknown as TranscodePipeline;
}

describe("pipeline watch: several instances on one prefix", { timeout: 30_000 }, () => {
  it("three watchers polling at once transcode each upload exactly once", async () => {
    const archive = await fsArchive();
    const keys = Array.from({ length: 6 }, (_, i) => `uploads/clip-${i}.mp4`);
    for (const k of keys) await archive.put(k, new TextEncoder().encode(k));
    const runs: JobRequest[] = [];
    const ended: ProcessedRecord[] = [];
    const skipped: string[] = [];
    const watchers = ["a", "b", "c"].map(
      (id) =>
        new UploadWatcher(archive, recordingPipeline(runs, { ms: 200 }), {
          prefix: "uploads/",
          workerId: id,
          onJob: (r) => ended.push(r),
          onSkip: (key) => skipped.push(key),
        }),
    );
    const passes = await Promise.all(watchers.map((w) => w.pollOnce()));

    expect(runs.map((r) => r.sourceLabel).sort()).toEqual(keys);
    expect(
      passes
        .flat()
        .map((r) => r.key)
        .sort(),
    ).toEqual(keys);
    expect(ended).toHaveLength(keys.length);
    // All three list before any job ends (each lasts 200 ms), so the first upload is claimed by one and skipped by
    // two. Later ones may instead be seen as already recorded (a finished watcher wrote the
    // record before another looked), which takes no claim: no count of skips is fixed.
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const key of skipped) expect(keys).toContain(key);
    // A second round: every watcher sees every upload as processed.
    for (const w of watchers) expect(await w.pollOnce()).toEqual([]);
    expect(runs).toHaveLength(keys.length);
  });

  it("an upload another instance finished is recorded from its result and not run again", async () => {
    const archive = await fsArchive();
    await archive.put("uploads/done.mp4", new Uint8Array([1, 2, 3]));
    const [info] = await archive.list("uploads/");
    const id = requestIdFor(info!.key, info!.size, info!.lastModified);
    await new JobClaims(archive).complete(id, {
      request_id: id,
      job_id: "job-elsewhere",
      video_id: "done",
      status: "completed",
      worker: "worker-on-another-host",
      processed_at: "2026-12-01T00:00:00.000Z",
    });
    const runs: JobRequest[] = [];
    const skips: [string, string, string | undefined][] = [];
    const w = new UploadWatcher(archive, recordingPipeline(runs), {
      prefix: "uploads/",
      onSkip: (key, reason, by) => skips.push([key, reason, by]),
    });
    expect(await w.pollOnce()).toEqual([]);
    expect(runs).toHaveLength(0);
    expect(skips).toEqual([["uploads/done.mp4", "done", "worker-on-another-host"]]);
    const record = JSON.parse(new TextDecoder().decode(await archive.get(w.recordKey("uploads/done.mp4"))));
    expect(record).toMatchObject({ key: "uploads/done.mp4", size: 3, job_id: "job-elsewhere", status: "completed" });
    expect(await w.pollOnce()).toEqual([]);
    expect(skips).toHaveLength(1); // the record answers now; the claims are not asked again
  });

  it("a claim whose holder died is taken over after the claim TTL", async () => {
    const archive = await fsArchive();
    await archive.put("uploads/orphan.mp4", new Uint8Array([9]));
    const [info] = await archive.list("uploads/");
    const id = requestIdFor(info!.key, info!.size, info!.lastModified);
    const ttlMs = 400;
    expect((await new JobClaims(archive, { ttlMs }).claim(id, "dead-host")).kind).toBe("won");
    const runs: JobRequest[] = [];
    const skips: string[] = [];
    const w = new UploadWatcher(archive, recordingPipeline(runs), {
      prefix: "uploads/",
      workerId: "survivor",
      claimTtlMs: ttlMs,
      onSkip: (_key, reason, by) => skips.push(`${reason}:${by}`),
    });
    expect(await w.pollOnce()).toEqual([]);
    expect(skips).toEqual(["held:dead-host"]);
    await new Promise((r) => setTimeout(r, ttlMs + 100));
    const taken = await w.pollOnce();
    expect(taken.map((r) => r.status)).toEqual(["completed"]);
    expect(runs).toHaveLength(1);
    expect(await new JobClaims(archive).result(id)).toMatchObject({ worker: "survivor", attempt: 2 });
  });

  it("a watcher whose claim was taken over stops its job and leaves the record to the new holder", async () => {
    const archive = await fsArchive();
    await archive.put("uploads/slow.mp4", new Uint8Array([7]));
    const [info] = await archive.list("uploads/");
    const id = requestIdFor(info!.key, info!.size, info!.lastModified);
    const ttlMs = 1000;
    const runs: JobRequest[] = [];
    const lost: string[] = [];
    const w = new UploadWatcher(archive, recordingPipeline(runs, { untilAborted: true }), {
      prefix: "uploads/",
      workerId: "paused-host",
      claimTtlMs: ttlMs,
      onLost: (key) => lost.push(key),
    });
    const pass = w.pollOnce();
    while (runs.length === 0) await new Promise((r) => setTimeout(r, 10));
    // Another instance presumed this one dead (as after a long pause) and took the claim over.
    const future = new Date(Date.now() + 10 * ttlMs);
    expect((await new JobClaims(archive, { ttlMs }).claim(id, "other-host", future)).kind).toBe("won");
    expect(await pass).toEqual([]);
    expect(lost).toEqual(["uploads/slow.mp4"]);
    expect(await archive.exists(w.recordKey("uploads/slow.mp4"))).toBe(false);
    expect(await new JobClaims(archive).result(id)).toBeUndefined();
  });
});
