import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Bus } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import type { StepContext } from "../context.ts";
import { cancelled } from "../errors.ts";
import type { MediaInfo } from "../ffmpeg/probe.ts";
import type { StepRunner } from "../job/steps.ts";
import type { AudioPlan, RenditionPlan, SegmentFormat } from "../ladder.ts";
import { jsonBytes } from "../publish.ts";
import { audioArgs, cmafResult, cmafTrack, type RenditionAudio, type RenditionResult } from "../steps/rendition.ts";
import { assembleArgs, assemblyOrder, concatList } from "./assemble.ts";
import { type ChunkPlan, planSplit, type SplitPlan } from "./plan.ts";
import type { ChunkRunner } from "./runner.ts";
import { cutPiece, probeKeyframes, type SourceKeyframes } from "./split.ts";
import {
  CHUNK_CLAIMS_PREFIX,
  CHUNK_TOPIC,
  type ChunkRecord,
  type ChunkRequest,
  chunkKeys,
  splitId,
  unitId,
} from "./units.ts";
import { publishChunkRequests } from "./worker.ts";

/** How chunk work units leave the job that split the source. */
export interface ChunkDispatch {
  submit(requests: readonly ChunkRequest[]): Promise<void>;
}

/** Units go to the bus, where any worker of the chunk encoders' group takes them. */
export const busDispatch = (bus: Bus, topic: string = CHUNK_TOPIC): ChunkDispatch => ({
  submit: (requests) => publishChunkRequests(bus, requests, topic),
});

/** Units run in this process (no worker group: `reeltime transcode`, tests); same claims and events. */
export const localDispatch = (runner: ChunkRunner): ChunkDispatch => ({
  submit: async (requests) => {
    for (const r of requests) void runner.run(r).catch(() => undefined);
  },
});

export interface ChunkingOptions {
  /** Sources longer than this (seconds) are split. */
  thresholdSeconds: number;
  /** Target chunk length, seconds. */
  chunkSeconds: number;
  dispatch: ChunkDispatch;
  /** How often the job looks for ended units (default 500 ms). */
  pollMs?: number;
  /** The job fails (REELTIME_ERR_CHUNKS_STALLED) when no unit ended for this long (default 30 min). */
  stallMs?: number;
  maxChunks?: number;
}

/** Whether a job is encoded segment-parallel: CMAF, a moving picture longer than the threshold. */
export function wantsChunks(
  o: Pick<ChunkingOptions, "thresholdSeconds">,
  info: MediaInfo,
  format: SegmentFormat,
  plans: readonly RenditionPlan[],
): boolean {
  return (
    format === "cmaf" &&
    plans.length > 0 &&
    !!info.video &&
    !info.video.stillImage &&
    (info.durationMs ?? 0) > o.thresholdSeconds * 1000
  );
}

/** Where a unit's seq numbers start, after the coordinator's own (attempt-based) range. */
const UNIT_SEQ_OFFSET = 500_000;

interface SplitDone {
  id: string;
  plan: SplitPlan;
  source: SourceKeyframes;
  bytes: number;
  reused: boolean;
}

interface Waiter {
  resolve: (records: ChunkRecord[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The segment-parallel encode of one job, run by the worker that holds the job: the split step
 * (keyframes probed, chunks planned, each chunk's piece of source copied into the archive), one
 * work unit per chunk × rendition handed to the group, the audio encoded here once over the
 * whole source (so chunk joins cannot click), and per rendition, once its units have ended, the
 * assemble step: the encoded chunks joined and packaged by the same muxer options as a serial
 * encode, so the package is the one a serial encode makes, to the frame.
 */
export class ChunkedEncode {
  readonly split: SplitDone;
  readonly #ctx: StepContext;
  readonly #steps: StepRunner;
  readonly #o: ChunkingOptions;
  readonly #units = new Map<string, { rendition: string; index: number }>();
  readonly #records = new Map<string, ChunkRecord>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #audio = new Map<string, Promise<unknown>>();
  #polling: Promise<void> = Promise.resolve();
  #stopped = false;
  #failure: unknown;

  /** Use {@link ChunkedEncode.start}. */
  constructor(ctx: StepContext, steps: StepRunner, o: ChunkingOptions, split: SplitDone) {
    this.#ctx = ctx;
    this.#steps = steps;
    this.#o = o;
    this.split = split;
  }

  /** Splits the source (the split step), hands out the units, starts the audio; the renditions then wait in {@link rendition}. */
  static async start(
    ctx: StepContext,
    steps: StepRunner,
    plans: readonly RenditionPlan[],
    audio: readonly AudioPlan[],
    o: ChunkingOptions,
    job: { attempt: number },
  ): Promise<ChunkedEncode> {
    const split = await steps.run(
      { step: "split" },
      () => splitSource(ctx, plans[0]!, o),
      (s) => ({
        bytes: s.bytes,
        media_duration_ms: Math.round(s.source.durationSeconds * 1000),
        chunk: { count: s.plan.chunks.length },
      }),
      { retry: false },
    );
    const encode = new ChunkedEncode(ctx, steps, o, split);
    const requests = encode.#requests(plans, job.attempt);
    await o.dispatch.submit(requests);
    encode.#polling = encode.#poll();
    if (ctx.info.audio) for (const a of audio) encode.#audio.set(a.group, encode.#encodeAudio(plans, a));
    return encode;
  }

  #requests(plans: readonly RenditionPlan[], attempt: number): ChunkRequest[] {
    const ctx = this.#ctx;
    const { id, plan, source } = this.split;
    const keys = chunkKeys(id);
    const count = plan.chunks.length;
    const out: ChunkRequest[] = [];
    // In media order, the tallest rendition first: the first renditions can assemble early.
    for (const c of plan.chunks)
      for (const r of plans) {
        const unit = unitId(id, r.name, { r, preset: ctx.preset, seg: ctx.segmentSeconds }, c.index);
        this.#units.set(unit, { rendition: r.name, index: c.index });
        out.push({
          v: 1,
          unit_id: unit,
          job: {
            id: ctx.reporter.jobId,
            source: ctx.reporter.source,
            video: ctx.reporter.video,
            ...(ctx.reporter.appId ? { app_id: ctx.reporter.appId } : {}),
            seq_base: (Math.max(1, attempt) - 1) * 1_000_000 + UNIT_SEQ_OFFSET,
            split: id,
          },
          chunk: {
            index: c.index,
            count,
            piece_key: keys.piece(c.index),
            first_slot: plan.firstSlot + c.firstFrame,
            ...(c.endFrame === undefined ? {} : { end_slot: plan.firstSlot + c.endFrame }),
            forced_keyframes: c.forcedKeyframes,
            source_start: source.formatStartSeconds,
          },
          rendition: r,
          settings: { preset: ctx.preset, segment_seconds: ctx.segmentSeconds },
          output_key: keys.output(r.name, c.index),
        });
      }
    return out;
  }

  /** Looks for ended units (their claims' results) until every unit ended, one failed, or the job stops. */
  async #poll(): Promise<void> {
    const prefix = `${CHUNK_CLAIMS_PREFIX}${this.split.id}/`;
    const pollMs = this.#o.pollMs ?? 500;
    const stallMs = this.#o.stallMs ?? 30 * 60_000;
    let progressAt = Date.now();
    while (!this.#stopped && this.#records.size < this.#units.size) {
      if (this.#ctx.signal.aborted) return this.#fail(cancelled("the job was cancelled while its chunks were encoded"));
      try {
        for (const o of await this.#ctx.archive.list(prefix)) {
          if (!o.key.endsWith("/done.json")) continue;
          const unit = o.key.slice(CHUNK_CLAIMS_PREFIX.length, -"/done.json".length);
          if (this.#records.has(unit) || !this.#units.has(unit)) continue;
          const record = JSON.parse(new TextDecoder().decode(await this.#ctx.archive.get(o.key))) as ChunkRecord;
          this.#records.set(unit, record);
          progressAt = Date.now();
          const where = this.#units.get(unit)!;
          if (record.status === "failed")
            return this.#fail(
              new ReeltimeError(
                (record.error?.code ?? "REELTIME_ERR_PIPELINE") as "REELTIME_ERR_PIPELINE",
                `chunk ${where.index} of ${where.rendition} failed for good on worker ${record.worker}: ${record.error?.message ?? "no reason given"}`,
              ),
            );
          this.#settle(where.rendition);
        }
      } catch (err) {
        // The archive answered badly once: look again next time (the stall timeout still runs).
        if (Date.now() - progressAt > stallMs) return this.#fail(err);
      }
      if (Date.now() - progressAt > stallMs)
        return this.#fail(
          new ReeltimeError(
            "REELTIME_ERR_CHUNKS_STALLED",
            `${this.#units.size - this.#records.size} of ${this.#units.size} chunk units did not end and none ended for ` +
              `${Math.round(stallMs / 1000)} s; start pipeline workers (reeltime pipeline worker) on this bus`,
          ),
        );
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    for (const list of this.#waiters.values()) for (const w of list.splice(0)) w.reject(this.#failure);
  }

  #recordsOf(rendition: string): ChunkRecord[] | undefined {
    const mine = [...this.#units].filter(([, u]) => u.rendition === rendition);
    if (!mine.every(([id]) => this.#records.has(id))) return undefined;
    return mine.map(([id]) => this.#records.get(id)!);
  }

  #settle(rendition: string): void {
    const records = this.#recordsOf(rendition);
    if (records) for (const w of this.#waiters.get(rendition)?.splice(0) ?? []) w.resolve(records);
  }

  #waitFor(rendition: string): Promise<ChunkRecord[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const ready = this.#recordsOf(rendition);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(rendition) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(rendition, list);
    });
  }

  /** The audio track of one bitrate, encoded once over the whole source into its owner's folder, as a one-chunk step. */
  #encodeAudio(plans: readonly RenditionPlan[], a: AudioPlan): Promise<unknown> {
    const ctx = this.#ctx;
    const owner = plans.find((p) => p.name === a.owner)!;
    const dir = join(ctx.workDir, owner.name, "audio");
    const media = ctx.info.durationMs ?? 1;
    return this.#steps.run(
      { step: "chunk", rendition: a.group, target_bitrate_bps: a.bps, chunk: { index: 0, count: 1 } },
      async (attempt) => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        const args = [
          ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"],
          ...["-threads", String(ctx.threads), "-i", ctx.sourcePath],
          ...audioArgs(a.bps, ctx.audioFilter),
          ...cmafTrack(ctx.segmentSeconds, dir),
        ];
        const started = performance.now();
        await ctx.limiter.run(() =>
          ctx.run(ctx.tools.ffmpeg, args, {
            signal: ctx.signal,
            onProgress: (p) =>
              ctx.reporter.progress(`chunk:${a.group}`, {
                status: "running",
                step: "chunk",
                rendition: a.group,
                attempt,
                chunk: { index: 0, count: 1 },
                progress_pct: Math.min(100, Math.round(((p.outTimeMs ?? 0) / media) * 1000) / 10),
              }),
          }),
        );
        return { ms: Math.round(performance.now() - started) };
      },
      () => ({ media_duration_ms: media, chunk: { index: 0, count: 1 } }),
    );
  }

  /**
   * One rendition of the job: waits for its units, then the assemble step joins its chunks into
   * the CMAF track (and, on the rendition that carries an audio bitrate, adds that audio track),
   * reads it back and uploads it as a serial encode does, completion marker last.
   */
  async rendition(plan: RenditionPlan, audio?: RenditionAudio): Promise<RenditionResult> {
    const records = await this.#waitFor(plan.name);
    const ctx = this.#ctx;
    const keys = chunkKeys(this.split.id);
    const count = this.split.plan.chunks.length;
    return this.#steps.run(
      { step: "assemble", rendition: plan.name },
      async () => {
        const started = performance.now();
        const ordered = assemblyOrder(
          records.map((r) => ({ ...r, index: this.#units.get(r.unit_id)!.index })),
          count,
          plan.name,
        );
        const dir = join(ctx.workDir, plan.name);
        const parts = join(ctx.workDir, "chunks", plan.name);
        await mkdir(dir, { recursive: true });
        await mkdir(parts, { recursive: true });
        const files = [];
        for (const r of ordered) {
          const path = join(parts, `${String(r.index).padStart(4, "0")}.nut`);
          await writeFile(path, await ctx.archive.get(keys.output(plan.name, r.index)));
          files.push({ path, frames: r.frames ?? 0 });
        }
        const list = join(parts, "list.ffconcat");
        await writeFile(list, concatList(files, this.split.plan.rate));
        await ctx.limiter.run(() =>
          ctx.run(ctx.tools.ffmpeg, assembleArgs(list, dir, ctx.segmentSeconds, this.split.plan.rate), {
            signal: ctx.signal,
          }),
        );
        await rm(parts, { recursive: true, force: true });
        if (ctx.info.audio && audio?.encode) await this.#audio.get(audio.group);
        const encodeMs = ordered.reduce((s, r) => s + (r.encode_ms ?? 0), 0) + Math.round(performance.now() - started);
        const result = await cmafResult(ctx, plan, dir, Math.max(1, encodeMs), audio);
        await ctx.archive.put(ctx.keys.marker(plan.name), jsonBytes(result), { contentType: "application/json" });
        await rm(dir, { recursive: true, force: true });
        return result;
      },
      (r) => ({
        bytes: r.bytes,
        segments: r.segments,
        media_duration_ms: r.mediaDurationMs,
        width: r.width,
        height: r.height,
        chunk: { count },
      }),
      { retry: false },
    );
  }

  /** The job gave up: units not yet started are skipped and running ones stop (the split's cancelled.json). */
  async cancel(reason: string): Promise<void> {
    this.#stopped = true;
    await this.#ctx.archive
      .put(chunkKeys(this.split.id).cancelled, jsonBytes({ at: new Date().toISOString(), reason }), {
        contentType: "application/json",
      })
      .catch(() => undefined);
    await this.#polling;
  }

  /** The job completed: its pieces, encoded chunks and unit claims go (the package is in media/). */
  async cleanup(): Promise<void> {
    this.#stopped = true;
    await this.#polling;
    const archive = this.#ctx.archive;
    for (const prefix of [`${chunkKeys(this.split.id).root}/`, `${CHUNK_CLAIMS_PREFIX}${this.split.id}/`]) {
      const keys = (await archive.list(prefix)).map((o) => o.key);
      for (let i = 0; i < keys.length; i += 500) await archive.delete(keys.slice(i, i + 500));
    }
  }
}

/**
 * The split step: the source's keyframes (one ffprobe pass over its packets), the plan, and each
 * chunk's piece of source copied into the archive; the plan is written last, so a rerun of the
 * job (its worker died) that finds it reuses the pieces.
 */
async function splitSource(ctx: StepContext, plan: RenditionPlan, o: ChunkingOptions): Promise<SplitDone> {
  const source = await probeKeyframes(ctx.run, ctx.tools.ffprobe, ctx.sourcePath, ctx.signal);
  const split = planSplit({
    fps: plan.fps,
    segmentSeconds: ctx.segmentSeconds,
    gop: plan.gop,
    durationSeconds: source.durationSeconds,
    videoStartSeconds: source.videoStartSeconds,
    keyframes: source.keyframes,
    chunkSeconds: o.chunkSeconds,
    ...(o.maxChunks ? { maxChunks: o.maxChunks } : {}),
  });
  const bounds = (c: ChunkPlan) => split.chunks.map((x) => [x.firstFrame, x.pieceFrom, x.pieceTo])[c.index];
  const id = splitId(ctx.reporter.jobId, {
    src: [ctx.info.sizeBytes, ctx.info.durationMs],
    seg: ctx.segmentSeconds,
    fps: plan.fps,
    gop: plan.gop,
    slot: split.firstSlot,
    chunks: split.chunks.map(bounds),
  });
  const keys = chunkKeys(id);
  if (await ctx.archive.exists(keys.plan)) return { id, plan: split, source, bytes: 0, reused: true };
  const fps = split.rate.num / split.rate.den;
  const scratch = join(ctx.workDir, "pieces");
  await mkdir(scratch, { recursive: true });
  let bytes = 0;
  await Promise.all(
    split.chunks.map((c) =>
      ctx.limiter.run(async () => {
        const body = await cutPiece(
          ctx.run,
          ctx.tools,
          ctx.sourcePath,
          c,
          {
            mustStart: c.pieceFrom ?? source.videoStartSeconds,
            ...(c.endFrame === undefined || c.pieceTo === undefined
              ? {}
              : { mustEnd: (split.firstSlot + c.endFrame) / fps }),
            formatStart: source.formatStartSeconds,
          },
          scratch,
          ctx.signal,
        );
        await ctx.archive.put(keys.piece(c.index), body, { contentType: "video/x-nut" });
        bytes += body.byteLength;
      }),
    ),
  );
  await rm(scratch, { recursive: true, force: true });
  await ctx.archive.put(keys.plan, jsonBytes({ split: id, ...split }), { contentType: "application/json" });
  return { id, plan: split, source, bytes, reused: false };
}
