// Hermetic: the embedded bus and filesystem archive, and a stand-in for the ffmpeg DAG that
// only records what it was asked to run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { JobRequest, TranscodePipeline } from "../../src/pipeline.ts";
import { JobClaims } from "../../src/worker/claims.ts";
import { requestTranscodes, TRANSCODE_TOPIC, type TranscodeRequest } from "../../src/worker/request.ts";
import { TranscodeWorker, type WorkerRecord } from "../../src/worker/worker.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deps(): Promise<{ bus: Bus; archive: Archive }> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-worker-unit-"));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: dir };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  await bus.ensureTopics([{ name: TRANSCODE_TOPIC, partitions: 4 }]);
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => archive.shutdown(),
    () => bus.shutdown(),
  );
  return { bus, archive };
}

/** Records each run; takes `ms` so deliveries overlap between workers. */
function fakePipeline(runs: JobRequest[], ms = 20): TranscodePipeline {
  return {
    run: async (req: JobRequest) => {
      runs.push(req);
      await new Promise((r) => setTimeout(r, ms));
      return {
        jobId: `job-${runs.length}`,
        videoId: req.videoId ?? "v",
        status: "completed",
        durationMs: ms,
        renditions: [],
      };
    },
  } as unknown as TranscodePipeline;
}

async function until(fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("TranscodeWorker on the embedded bus", { timeout: 30_000 }, () => {
  it("two workers in one group, N requests published twice: each runs exactly once", async () => {
    const { bus, archive } = await deps();
    const N = 20;
    const requests: TranscodeRequest[] = [];
    for (let i = 0; i < N; i++) {
      await archive.put(`uploads/u${i}.mp4`, new Uint8Array([1, 2, 3, i]));
      requests.push({ request_id: `r${i}`, source_key: `uploads/u${i}.mp4`, requested_at: new Date().toISOString() });
    }
    const runs: JobRequest[] = [];
    const ended: WorkerRecord[] = [];
    const workers = ["w1", "w2"].map(
      (id) =>
        new TranscodeWorker(
          { bus, archive, pipeline: fakePipeline(runs) },
          { workerId: id, lagIntervalMs: 0, onJob: (r) => ended.push(r) },
        ),
    );
    for (const w of workers) {
      await w.start();
      cleanups.push(() => w.stop());
    }
    await until(() => workers.every((w) => w.assignments().length > 0));
    await requestTranscodes(bus, requests);
    await requestTranscodes(bus, requests);
    await until(() => ended.length === N);
    const skipped = async () => {
      let n = 0;
      for (const w of workers)
        n += (await w.metrics.jobs.get()).values.find((v) => v.labels.status === "skipped")?.value ?? 0;
      return n;
    };
    for (let i = 0; i < 200 && (await skipped()) < N; i++) await new Promise((r) => setTimeout(r, 20));

    expect(runs.map((r) => r.sourceLabel).sort()).toEqual(requests.map((r) => r.source_key).sort());
    expect(new Set(ended.map((r) => r.request_id)).size).toBe(N);
    expect(await skipped()).toBe(N);
    expect(new Set(ended.map((r) => r.worker))).toEqual(new Set(["w1", "w2"]));
    expect(ended.every((r) => r.status === "completed" && r.attempt === 1)).toBe(true);
  });

  it("records a missing upload as failed, skips a message that is no request, and keeps going", async () => {
    const { bus, archive } = await deps();
    const runs: JobRequest[] = [];
    const ended: WorkerRecord[] = [];
    const w = new TranscodeWorker(
      { bus, archive, pipeline: fakePipeline(runs) },
      { lagIntervalMs: 0, onJob: (r) => ended.push(r) },
    );
    await w.start();
    cleanups.push(() => w.stop());
    await bus.publish(TRANSCODE_TOPIC, [{ key: "junk", value: new TextEncoder().encode("not json") }]);
    await requestTranscodes(bus, [
      { request_id: "gone", source_key: "uploads/missing.mp4", requested_at: new Date().toISOString() },
    ]);
    await until(() => ended.length === 1);
    expect(ended[0]).toMatchObject({
      request_id: "gone",
      status: "failed",
      error_code: "REELTIME_ERR_INPUT_NOT_FOUND",
    });
    expect(runs).toHaveLength(0);
    const bad = (await w.metrics.jobs.get()).values.find((v) => v.labels.status === "bad_request")?.value;
    expect(bad).toBe(1);
  });
});

describe("TranscodeWorker retries", { timeout: 30_000 }, () => {
  it("a job that threw is delivered again and run again by the worker holding its claim", async () => {
    const { bus, archive } = await deps();
    await archive.put("uploads/flaky.mp4", new Uint8Array([1]));
    const runs: JobRequest[] = [];
    const inner = fakePipeline(runs);
    let calls = 0;
    const flaky = {
      run: async (req: JobRequest) => {
        calls++;
        if (calls === 1) throw new Error("archive hiccup");
        return inner.run(req);
      },
    } as unknown as TranscodePipeline;
    const ended: WorkerRecord[] = [];
    const w = new TranscodeWorker({ bus, archive, pipeline: flaky }, { lagIntervalMs: 0, onJob: (r) => ended.push(r) });
    await w.start();
    cleanups.push(() => w.stop());
    await requestTranscodes(bus, [
      { request_id: "flaky", source_key: "uploads/flaky.mp4", requested_at: new Date().toISOString() },
    ]);
    await until(() => ended.length === 1);
    expect(calls).toBe(2);
    expect(ended[0]).toMatchObject({ status: "completed", attempt: 1, worker: w.id });
  });
});

describe("JobClaims", () => {
  it("one winner per attempt, held while fresh, taken over once stale, done for good", async () => {
    const { archive } = await deps();
    const claims = new JobClaims(archive, { ttlMs: 1000 });
    const t0 = new Date("2026-01-01T00:00:00Z");
    const racing = await Promise.all([claims.claim("r1", "a", t0), claims.claim("r1", "b", t0)]);
    expect(racing.map((o) => o.kind).sort()).toEqual(["held", "won"]);
    const winner = racing.find((o) => o.kind === "won")!;
    expect(winner.kind === "won" && winner.claim.attempt).toBe(1);

    const holder = winner.kind === "won" ? winner.claim.worker : "";
    expect(await claims.claim("r1", holder, t0)).toMatchObject({ kind: "won", claim: { attempt: 1 } });
    const later = new Date(t0.getTime() + 999);
    expect((await claims.claim("r1", "c", later)).kind).toBe("held");
    const stale = await claims.claim("r1", "c", new Date(t0.getTime() + 1000));
    expect(stale).toMatchObject({ kind: "won", claim: { worker: "c", attempt: 2 } });

    await claims.complete("r1", { status: "completed" });
    expect(await claims.claim("r1", "d", new Date(t0.getTime() + 10_000))).toEqual({
      kind: "done",
      record: { status: "completed" },
    });
  });
});

describe("JobClaims renewal", () => {
  it("a renewed claim stays held past its age; one left unrenewed is taken over, and its holder learns it lost", async () => {
    const { archive } = await deps();
    const claims = new JobClaims(archive, { ttlMs: 1000 });
    const t0 = new Date("2026-01-01T00:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const a = await claims.claim("r2", "a", t0);
    if (a.kind !== "won") throw new Error("a should win the first attempt");
    expect(await claims.renew(a.claim, at(800))).toBe("held");
    // 1.5 s after the claim but 0.7 s after its renewal: still held.
    expect((await claims.claim("r2", "c", at(1500))).kind).toBe("held");
    // No renewal for the whole ttl: taken over.
    const c = await claims.claim("r2", "c", at(1800));
    expect(c).toMatchObject({ kind: "won", claim: { worker: "c", attempt: 2 } });
    expect(await claims.renew(a.claim, at(1900))).toBe("lost");
    if (c.kind === "won") expect(await claims.renew(c.claim, at(1900))).toBe("held");
  });
});

describe("TranscodeWorker and a lost claim", { timeout: 30_000 }, () => {
  it("renews its claim while the job runs; when another worker took it over, the job stops and leaves no result", async () => {
    const { bus, archive } = await deps();
    await archive.put("uploads/slow.mp4", new Uint8Array([1]));
    let aborted = false;
    let running = false;
    // A job that runs until it is told to stop.
    const endless = {
      run: (req: JobRequest) =>
        new Promise((resolve) => {
          running = true;
          req.signal?.addEventListener("abort", () => {
            aborted = true;
            resolve({ jobId: "j", videoId: "v", status: "failed", durationMs: 0, renditions: [] });
          });
        }),
    } as unknown as TranscodePipeline;
    const w = new TranscodeWorker({ bus, archive, pipeline: endless }, { lagIntervalMs: 0, claimTtlMs: 400 });
    await w.start();
    cleanups.push(() => w.stop());
    await requestTranscodes(bus, [
      { request_id: "slow", source_key: "uploads/slow.mp4", requested_at: new Date().toISOString() },
    ]);
    await until(() => running);
    const claims = new JobClaims(archive, { ttlMs: 400 });
    // Renewed: another worker finds it held well after the claim's own age ran out.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await claims.claim("slow", "other")).kind).toBe("held");
    expect(aborted).toBe(false);
    // Another worker that believes it dead (its clock far ahead) takes it over.
    const other = await claims.claim("slow", "other", new Date(Date.now() + 60_000));
    expect(other).toMatchObject({ kind: "won", claim: { attempt: 2 } });
    await until(() => aborted, 5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await claims.result("slow")).toBeUndefined();
    const lost = (await w.metrics.jobs.get()).values.find((v) => v.labels.status === "lost")?.value;
    expect(lost).toBe(1);
  });
});
