// Hermetic: chunk units' recovery on the embedded bus and filesystem archive, with a stand-in
// for the encode. A unit runs once however often it is delivered; a failed encode is retried
// alone; a unit whose worker died is taken over after its claim's TTL, and the presumed-dead
// worker stops; a unit of a job that gave up is skipped; two workers share the units.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { type JobEvent, TOPICS, validateEvent } from "@reeltime/events";
import { ConnectionEnv, loadEnv, ReeltimeError } from "@reeltime/runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { encodeChunk } from "../../src/chunked/encode.ts";
import { ChunkRunner } from "../../src/chunked/runner.ts";
import {
  CHUNK_TOPIC,
  type ChunkRecord,
  type ChunkRequest,
  chunkKeys,
  splitId,
  unitId,
} from "../../src/chunked/units.ts";
import { ChunkWorker, publishChunkRequests } from "../../src/chunked/worker.ts";
import { FfmpegError } from "../../src/errors.ts";
import { Limiter } from "../../src/job/limit.ts";
import type { RenditionPlan } from "../../src/ladder.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deps(): Promise<{ bus: Bus; archive: Archive }> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-chunk-unit-"));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: dir };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  await bus.ensureTopics([
    { name: CHUNK_TOPIC, partitions: 4 },
    { name: TOPICS.job, partitions: 2 },
  ]);
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => archive.shutdown(),
    () => bus.shutdown(),
  );
  return { bus, archive };
}

const plan: RenditionPlan = {
  name: "360p",
  side: 360,
  videoBps: 800_000,
  audioBps: 96_000,
  profile: "main",
  width: 640,
  height: 360,
  fps: 30,
  gop: 120,
};
const SPLIT = splitId("job-rec", { t: 1 });

function unit(index: number, count = 4): ChunkRequest {
  const keys = chunkKeys(SPLIT);
  return {
    v: 1,
    unit_id: unitId(SPLIT, plan.name, { plan }, index),
    job: { id: "job-rec", source: "uploads/a/v/src.mp4", video: { id: "v" }, seq_base: 500_000, split: SPLIT },
    chunk: {
      index,
      count,
      piece_key: keys.piece(index),
      first_slot: index * 600,
      end_slot: (index + 1) * 600,
      forced_keyframes: [120, 240, 360, 480],
      source_start: 0,
    },
    rendition: plan,
    settings: { preset: "veryfast", segment_seconds: 4 },
    output_key: keys.output(plan.name, index),
  };
}

type Encode = typeof encodeChunk;
/** A stand-in encode: takes `ms`, writes the output, counts its calls per unit; `fail` decides per call. */
function fakeEncode(calls: Map<string, number>, o: { ms?: number; fail?: (unit: string, n: number) => boolean } = {}) {
  const encode: Encode = async (env, request, options = {}) => {
    const n = (calls.get(request.unit_id) ?? 0) + 1;
    calls.set(request.unit_id, n);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, o.ms ?? 10);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(t);
        reject(new ReeltimeError("REELTIME_ERR_CANCELLED", "stopped"));
      });
    });
    if (o.fail?.(request.unit_id, n)) throw new FfmpegError("ffmpeg", 1, null, "x264 [error]: broken frame\n");
    await env.archive.put(request.output_key, new Uint8Array(600));
    return { frames: 600, bytes: 600, encodeMs: o.ms ?? 10 };
  };
  return encode;
}

function runner(
  d: { bus: Bus; archive: Archive },
  workerId: string,
  encode: Encode,
  events: JobEvent[] = [],
  claimTtlMs = 60_000,
) {
  return new ChunkRunner(
    {
      bus: d.bus,
      env: {
        archive: d.archive,
        run: async () => {
          throw new Error("no tool in this test");
        },
        tools: { ffmpeg: "ffmpeg", ffprobe: "ffprobe" },
        limiter: new Limiter(2),
        threads: 1,
        workRoot: tmpdir(),
      },
    },
    {
      workerId,
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
      claimTtlMs,
      encode,
      onEvent: (e) => events.push(e),
    },
  );
}

const result = async (archive: Archive, id: string) =>
  JSON.parse(new TextDecoder().decode(await archive.get(`pipeline/claims/chunks/${id}/done.json`))) as ChunkRecord;

const summary = (events: JobEvent[]) => events.map((e) => `${e.event_type.replace("job.", "")}:${e.job.attempt ?? ""}`);

describe("ChunkRunner", { timeout: 30_000 }, () => {
  it("runs a unit once, as a chunk step with its index and count, and records it; delivered again it is skipped", async () => {
    const d = await deps();
    const calls = new Map<string, number>();
    const events: JobEvent[] = [];
    const r = runner(d, "w1", fakeEncode(calls), events);
    expect(await r.run(unit(2))).toBe("completed");
    expect(await r.run(unit(2))).toBe("skipped");
    expect(calls.get(unit(2).unit_id)).toBe(1);
    expect(summary(events)).toEqual(["step_started:1", "step_completed:1"]);
    for (const e of events) {
      expect(validateEvent(e).ok).toBe(true);
      expect(e.job).toMatchObject({ id: "job-rec", step: "chunk", rendition: "360p", chunk: { index: 2, count: 4 } });
    }
    expect(events.map((e) => e.seq)).toEqual([500_001, 500_002]);
    expect(events[1]!.job).toMatchObject({ media_duration_ms: 20_000, bytes: 600, width: 640, height: 360 });
    expect(await result(d.archive, unit(2).unit_id)).toMatchObject({
      status: "completed",
      frames: 600,
      worker: "w1",
      attempt: 1,
    });
  });

  it("retries a failed encode in place, alone: the other units run once", async () => {
    const d = await deps();
    const calls = new Map<string, number>();
    const events: JobEvent[] = [];
    const r = runner(d, "w1", fakeEncode(calls, { fail: (id, n) => id === unit(1).unit_id && n === 1 }), events);
    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => r.run(unit(i))));
    expect(outcomes).toEqual(["completed", "completed", "completed", "completed"]);
    expect([0, 1, 2, 3].map((i) => calls.get(unit(i).unit_id))).toEqual([1, 2, 1, 1]);
    const mine = events.filter((e) => e.job.chunk?.index === 1);
    expect(summary(mine)).toEqual(["step_started:1", "step_failed:1", "step_started:2", "step_completed:2"]);
    expect(mine[1]!.job.error).toMatchObject({ code: "REELTIME_ERR_FFMPEG", exit_code: 1 });
    expect(mine[1]!.attributes).toEqual({ will_retry: true });
  });

  it("records a unit that failed for good, with its error (the job then fails)", async () => {
    const d = await deps();
    const events: JobEvent[] = [];
    const r = runner(d, "w1", fakeEncode(new Map(), { fail: () => true }), events);
    expect(await r.run(unit(0))).toBe("failed");
    expect(summary(events)).toEqual([
      "step_started:1",
      "step_failed:1",
      "step_started:2",
      "step_failed:2",
      "step_started:3",
      "step_failed:3",
    ]);
    expect(events.at(-1)!.attributes).toEqual({ will_retry: false });
    expect(await result(d.archive, unit(0).unit_id)).toMatchObject({
      status: "failed",
      error: { code: "REELTIME_ERR_FFMPEG" },
    });
  });

  it("a unit whose worker died is held until its claim's TTL, then taken over and run alone; the old holder stops", async () => {
    const d = await deps();
    const calls = new Map<string, number>();
    const ttl = 600;
    // w1 starts the unit and hangs (a worker that stopped answering: its encode never ends).
    const hung = runner(d, "w1", fakeEncode(calls, { ms: 60_000 }), [], ttl);
    const events: JobEvent[] = [];
    const taker = runner(d, "w2", fakeEncode(calls), events, ttl);
    const first = hung.run(unit(3));
    await new Promise((r) => setTimeout(r, 100));
    // While w1 renews its claim, w2 is told to come back later (the bus redelivers after a backoff).
    await expect(taker.run(unit(3))).rejects.toMatchObject({ code: "REELTIME_ERR_CLAIM_HELD" });
    // w1's process is gone: its renewals stop. Simulated by claiming for w2 after the TTL.
    const later = new Date(Date.now() + ttl * 10);
    const claims = taker.claims;
    const took = await claims.claim(unit(3).unit_id, "w2", later);
    expect(took).toMatchObject({ kind: "won", claim: { attempt: 2, worker: "w2" } });
    // w1 learns at its next renewal that it lost the unit, and stops without recording anything.
    expect(await first).toBe("lost");
    expect(await taker.run(unit(3))).toBe("completed");
    expect(await result(d.archive, unit(3).unit_id)).toMatchObject({ status: "completed", worker: "w2", attempt: 2 });
    // The takeover's events come after the first attempt's (seq base per claim attempt).
    expect(events.map((e) => e.seq)).toEqual([501_001, 501_002]);
    expect(events[0]!.job.attempt).toBe(4);
  });

  it("a unit of a job that gave up is skipped, and a running one stops without a result", async () => {
    const d = await deps();
    const calls = new Map<string, number>();
    const r = runner(d, "w1", fakeEncode(calls, { ms: 60_000 }), [], 400);
    const running = r.run(unit(0));
    await new Promise((res) => setTimeout(res, 50));
    await d.archive.put(chunkKeys(SPLIT).cancelled, new TextEncoder().encode("{}"));
    expect(await running).toBe("cancelled");
    expect(await r.run(unit(1))).toBe("cancelled");
    expect(calls.get(unit(1).unit_id)).toBeUndefined();
    expect(await d.archive.exists(`pipeline/claims/chunks/${unit(0).unit_id}/done.json`)).toBe(false);
  });
});

describe("ChunkWorker on the embedded bus", { timeout: 30_000 }, () => {
  it("two workers in the group, every unit published twice: each encoded exactly once", async () => {
    const d = await deps();
    const calls = new Map<string, number>();
    const ended: string[] = [];
    const workers = ["w1", "w2"].map(
      (id) =>
        new ChunkWorker(
          { bus: d.bus, runner: runner(d, id, fakeEncode(calls, { ms: 20 })) },
          { onUnit: (r, outcome) => ended.push(`${r.chunk.index}:${outcome}`) },
        ),
    );
    for (const w of workers) {
      await w.start();
      cleanups.push(() => w.stop());
    }
    const units = Array.from({ length: 12 }, (_, i) => unit(i, 12));
    await publishChunkRequests(d.bus, units);
    await publishChunkRequests(d.bus, units);
    const deadline = Date.now() + 20_000;
    while (ended.length < 24 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ended.length).toBe(24);
    expect([...calls.values()]).toEqual(Array(12).fill(1));
    expect(ended.filter((e) => e.endsWith(":completed")).length).toBe(12);
    expect(ended.filter((e) => e.endsWith(":skipped")).length).toBe(12);
    for (const u of units) expect((await result(d.archive, u.unit_id)).status).toBe("completed");
  });
});
