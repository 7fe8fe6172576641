import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import type { Archive, Bus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { AUDIO_ANALYSES, FFMPEG_ANALYSES } from "./analysis/ffmpeg.ts";
import { analyseJob, type JobAnalysis, type PipelineAnalysis } from "./analysis/job.ts";
import { runAudioOnlyJob } from "./audio-only/job.ts";
import { isAudioOnly, planAudioOnly } from "./audio-only/ladder.ts";
import { ChunkedEncode, type ChunkingOptions, wantsChunks } from "./chunked/job.ts";
import { ChunkRunner, type ChunkRunnerOptions } from "./chunked/runner.ts";
import { cmafManifests } from "./cmaf/package.ts";
import type { StepContext } from "./context.ts";
import type { MediaInfo } from "./ffmpeg/probe.ts";
import { runTool, type ToolRunner } from "./ffmpeg/run.ts";
import { renderMaster } from "./hls/master.ts";
import { inspectInput } from "./input/inspect.ts";
import { DEFAULT_LIMITS, type InputLimits } from "./input/limits.ts";
import { mediaKeys } from "./job/keys.ts";
import { Limiter } from "./job/limit.ts";
import { JobReporter } from "./job/reporter.ts";
import { DEFAULT_RETRY, type RetryOptions } from "./job/retry.ts";
import { type StepFailure, StepRunner } from "./job/steps.ts";
import {
  type AudioPlan,
  planAudio,
  planRenditions,
  type RenditionPlan,
  SEGMENT_FORMATS,
  type SegmentFormat,
  selectRungs,
} from "./ladder.ts";
import { jsonBytes } from "./publish.ts";
import { completedEarlier, encodeRendition, type RenditionAudio, type RenditionResult } from "./steps/rendition.ts";
import { makeThumbnails, type ThumbnailsResult } from "./steps/thumbnails.ts";
import { publishSubtitles } from "./subtitles/job.ts";
import type { SubtitleTrack } from "./subtitles/manifests.ts";
import type { SubtitleSource } from "./subtitles/sources.ts";

export interface PipelineOptions {
  /** Target segment length in seconds (default 4). */
  segmentSeconds?: number;
  /**
   * `cmaf` (default): fragmented-MP4 segments, an HLS playlist set and a DASH MPD over the same
   * files. `ts`: MPEG-TS segments and HLS only, for players without fragmented MP4 support.
   */
  segmentFormat?: SegmentFormat;
  /** Rung names to produce (default: the whole ladder), always capped at the source's size. */
  ladder?: readonly string[];
  /** ffmpeg processes at once across every job (default: 2, or 1 on a single core). */
  concurrency?: number;
  /** `-threads` per ffmpeg process (default: cores ÷ concurrency). */
  threads?: number;
  /** x264 preset (default "veryfast"). */
  preset?: string;
  retry?: Partial<RetryOptions>;
  limits?: Partial<InputLimits>;
  /** Where scratch directories are made (default: the OS temp dir). */
  workRoot?: string;
  /** Minimum gap between two progress events of one step (default 1000 ms). */
  progressIntervalMs?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** The app whose videos this pipeline transcodes, when a request names none: jobs belong to an app like every event. */
  appId?: string;
  /** Hears every job event once built (e.g. to draw a progress bar). */
  onEvent?: (event: JobEvent) => void;
  /** The content analyses each job runs as steps (default `{}`: scenes, black, freeze, silence, loudness); false: none. */
  analysis?: PipelineAnalysis | false;
  /**
   * Segment-parallel encoding: a CMAF job whose source is longer than `thresholdSeconds` is split
   * into chunks that `dispatch` hands out (the bus: any worker of the group; see src/chunked).
   * Absent: every job is encoded serially.
   */
  chunking?: ChunkingOptions;
  /**
   * The audio-only ladder (CMAF only; src/audio-only): `auto` (default) for a source with audio and
   * no video, `always` for every source with audio (its picture is left out), `never`: a source
   * without video is refused as before.
   */
  audioOnly?: "auto" | "always" | "never";
}

export interface PipelineDeps {
  bus: Bus;
  archive: Archive;
  /** Runs ffmpeg/ffprobe; injectable so tests can make a step fail. */
  run?: ToolRunner;
}

export interface JobRequest {
  /** Local path of the source file. */
  source: string;
  videoId?: string;
  jobId?: string;
  title?: string;
  /** What the events name as the source (an object key for uploads); defaults to the path. */
  sourceLabel?: string;
  /** When the upload landed, for `queue_wait_ms`. */
  enqueuedAt?: Date;
  /** The app the video belongs to (its job events and job record carry it); defaults to the pipeline's `appId`. */
  appId?: string;
  /** Stops the job (its ffmpeg steps are killed and it ends as failed), e.g. when its worker lost the claim. */
  signal?: AbortSignal;
  /**
   * Which attempt at this job id this run is (default 1). A job id run again (its worker died)
   * numbers its events after the earlier attempt's: seq starts at (attempt - 1) × 1,000,000.
   */
  attempt?: number;
  /** When the job was requested (the upload event's time): `job.completed` gets an id stable across attempts. */
  requestedAt?: Date;
  /**
   * WebVTT files to publish as subtitle renditions (CMAF packages only): one optional `subtitles`
   * step each; a malformed one fails its step alone and is left out of the manifests.
   */
  subtitles?: readonly SubtitleSource[];
}

export interface JobResult {
  jobId: string;
  videoId: string;
  status: "completed" | "failed";
  durationMs: number;
  masterKey?: string;
  /** The DASH MPD (CMAF packages only). */
  mpdKey?: string;
  /** Every manifest published: the master playlist, and the MPD of a CMAF package. */
  manifestKeys?: string[];
  metadataKey?: string;
  info?: MediaInfo;
  renditions: (RenditionResult & { skipped: boolean })[];
  /** The subtitle renditions the manifests name (those whose file was valid). */
  subtitles?: SubtitleTrack[];
  thumbnails?: ThumbnailsResult;
  error?: { code: string; message: string; step: string; rendition?: string };
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Video ids name archive folders, so they keep to characters every object store accepts. */
const VIDEO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A video id from a file name: `My Clip (final).mov` → `My-Clip-final`. */
export function videoIdFromName(name: string): string {
  const stem = basename(name, extname(name))
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+|-+$/g, "")
    .slice(0, 64);
  return stem || `video-${uuidv7()}`;
}

/**
 * The transcoding DAG: probe → (renditions ∥ analyses → thumbnails) → metadata record → master
 * playlist. The analyses (scenes, black, freeze, silence, loudness, and a provider's) are
 * optional steps: one that fails is reported and the job goes on; the poster is their choice.
 * The master playlist is the job's last write, so a failed job never leaves one behind.
 * Every step reports job events through the Bus; outputs go to the Archive under
 * `media/<video_id>/`. One pipeline can run several jobs; ffmpeg processes are bounded
 * across all of them.
 */
export class TranscodePipeline {
  readonly #bus: Bus;
  readonly #archive: Archive;
  readonly #run: ToolRunner;
  readonly #limiter: Limiter;
  readonly #threads: number;
  readonly #o: Required<
    Omit<
      PipelineOptions,
      "ladder" | "onEvent" | "retry" | "limits" | "concurrency" | "threads" | "appId" | "analysis" | "chunking"
    >
  > & { ladder: PipelineOptions["ladder"] | undefined; onEvent: PipelineOptions["onEvent"] | undefined };
  readonly #retry: RetryOptions;
  readonly #limits: InputLimits;
  readonly #appId: string | undefined;
  readonly #analysis: PipelineAnalysis | undefined;
  readonly #chunking: ChunkingOptions | undefined;

  constructor(deps: PipelineDeps, options: PipelineOptions = {}) {
    this.#bus = deps.bus;
    this.#archive = deps.archive;
    this.#run = deps.run ?? runTool;
    this.#appId = options.appId;
    this.#analysis = options.analysis === false ? undefined : (options.analysis ?? {});
    this.#chunking = options.chunking;
    const cores = availableParallelism();
    const concurrency = options.concurrency ?? Math.max(1, Math.min(2, cores));
    this.#limiter = new Limiter(concurrency);
    this.#threads = options.threads ?? Math.max(1, Math.floor(cores / concurrency));
    const seg = options.segmentSeconds ?? 4;
    const format = options.segmentFormat ?? "cmaf";
    if (!SEGMENT_FORMATS.includes(format))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `segment format must be ${SEGMENT_FORMATS.join(" or ")}, got ${String(format)}`,
      );
    if (!(seg >= 1 && seg <= 30))
      throw new ReeltimeError("REELTIME_ERR_USAGE", `segment length must be 1-30 seconds, got ${seg}`);
    selectRungs(options.ladder);
    const audioOnly = options.audioOnly ?? "auto";
    if (!["auto", "always", "never"].includes(audioOnly))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `audio-only must be auto, always or never, got ${String(audioOnly)}`,
      );
    if (audioOnly === "always" && format !== "cmaf")
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        "the audio-only ladder is packaged as CMAF: it needs segment format cmaf",
      );
    this.#o = {
      segmentSeconds: seg,
      segmentFormat: format,
      ladder: options.ladder,
      preset: options.preset ?? "veryfast",
      workRoot: options.workRoot ?? tmpdir(),
      progressIntervalMs: options.progressIntervalMs ?? 1000,
      ffmpegPath: options.ffmpegPath ?? "ffmpeg",
      ffprobePath: options.ffprobePath ?? "ffprobe",
      onEvent: options.onEvent,
      audioOnly,
    };
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** The segment-parallel settings, when this pipeline splits long sources. */
  get chunking(): ChunkingOptions | undefined {
    return this.#chunking;
  }

  /** ffmpeg processes this pipeline runs at once. */
  get concurrency(): number {
    return this.#limiter.size;
  }

  /**
   * A runner of chunk work units with this pipeline's tools, limiter, threads and retries: what a
   * worker of the group runs the units of segment-parallel jobs with (see ChunkWorker).
   */
  chunkRunner(options: PipelineChunkRunnerOptions): ChunkRunner {
    return new ChunkRunner(
      {
        bus: this.#bus,
        env: {
          archive: this.#archive,
          run: this.#run,
          tools: { ffmpeg: this.#o.ffmpegPath, ffprobe: this.#o.ffprobePath },
          limiter: this.#limiter,
          threads: this.#threads,
          workRoot: this.#o.workRoot,
        },
      },
      { ...options, retry: this.#retry, ...(this.#o.onEvent ? { onEvent: this.#o.onEvent } : {}) },
    );
  }

  /** Runs one job to the end. Never throws for a failed job (see `status`); throws if the bus fails. */
  async run(request: JobRequest): Promise<JobResult> {
    const started = performance.now();
    const source = resolve(request.source);
    const jobId = request.jobId ?? `job-${uuidv7()}`;
    const videoId = request.videoId ?? videoIdFromName(source);
    if (!JOB_ID.test(jobId))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `job id "${jobId}" must be 1-64 letters, digits, '.', '_', ':' or '-'`,
      );
    if (!VIDEO_ID.test(videoId))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `video id "${videoId}" must be 1-64 letters, digits, '.', '_' or '-'`,
      );
    if (request.subtitles?.length && this.#o.segmentFormat !== "cmaf")
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        "subtitles are packaged with CMAF (HLS subtitle renditions and DASH text sets): use segment format cmaf",
      );
    const appId = request.appId ?? this.#appId;
    const reporter = new JobReporter(
      this.#bus,
      {
        jobId,
        source: (request.sourceLabel ?? source).slice(0, 2048),
        video: { id: videoId, ...(request.title ? { title: request.title.slice(0, 256) } : {}) },
        ...(appId ? { appId } : {}),
      },
      {
        progressIntervalMs: this.#o.progressIntervalMs,
        seqBase: (Math.max(1, request.attempt ?? 1) - 1) * 1_000_000,
        ...(request.requestedAt ? { requestedAt: request.requestedAt } : {}),
        ...(this.#o.onEvent ? { onEvent: this.#o.onEvent } : {}),
      },
    );
    const keys = mediaKeys(videoId);
    const result: JobResult = { jobId, videoId, status: "failed", durationMs: 0, renditions: [] };
    const abort = new AbortController();
    if (request.signal?.aborted) abort.abort(request.signal.reason);
    request.signal?.addEventListener("abort", () => abort.abort(request.signal?.reason), { once: true });
    const steps = new StepRunner(reporter, this.#retry, abort);
    let analysis: JobAnalysis | undefined;
    let chunked: ChunkedEncode | undefined;
    let subtitles: Promise<SubtitleTrack[]> = Promise.resolve([]);
    const workDir = await mkdtemp(join(this.#o.workRoot, `reeltime-${jobId.slice(0, 40)}-`));
    const wait = request.enqueuedAt ? Math.max(0, Date.now() - request.enqueuedAt.getTime()) : undefined;
    await reporter.emit("job.created", { status: "created", ...(wait === undefined ? {} : { queue_wait_ms: wait }) });
    try {
      const tools = { ffmpeg: this.#o.ffmpegPath, ffprobe: this.#o.ffprobePath };
      const info = await steps.run(
        { step: "probe" },
        () =>
          inspectInput(this.#run, source, this.#limits, tools, abort.signal, request.sourceLabel ?? source, {
            audioOnly: this.#o.segmentFormat === "cmaf" && this.#o.audioOnly !== "never",
            needAudio: this.#o.audioOnly === "always",
          }),
        (i) => ({
          ...(i.durationMs === undefined ? {} : { media_duration_ms: i.durationMs }),
          bytes: i.sizeBytes,
          ...(i.bitrateBps ? { bitrate_bps: Math.min(i.bitrateBps, 10_000_000_000) } : {}),
          ...(i.video
            ? { width: i.video.displayWidth, height: i.video.height, codec: i.video.codec.slice(0, 32) }
            : {}),
        }),
        { retry: false },
      );
      result.info = info;
      if (info.durationMs !== undefined) reporter.video = { ...reporter.video, duration_ms: info.durationMs };
      const ctx: StepContext = {
        run: this.#run,
        tools,
        limiter: this.#limiter,
        threads: this.#threads,
        preset: this.#o.preset,
        segmentSeconds: this.#o.segmentSeconds,
        segmentFormat: this.#o.segmentFormat,
        sourcePath: source,
        info,
        workDir,
        archive: this.#archive,
        keys,
        reporter,
        signal: abort.signal,
      };
      // Subtitles are checked and published beside the encodes; the manifests name those that made it.
      if (request.subtitles?.length) subtitles = publishSubtitles(ctx, steps, request.subtitles);
      if (
        this.#o.segmentFormat === "cmaf" &&
        this.#o.audioOnly !== "never" &&
        isAudioOnly(info, this.#o.audioOnly === "always")
      ) {
        // Audio only: the AAC ladder, the audio analyses (silence, loudness), no thumbnails.
        const look = this.#analysis;
        if (look) {
          const { provider: _, ...local } = look;
          const analyses = (look.analyses ?? FFMPEG_ANALYSES).filter((a) => AUDIO_ANALYSES.includes(a as never));
          analysis = await analyseJob(
            ctx,
            steps,
            { ...local, analyses },
            { id: jobId, sourceKey: request.sourceLabel },
          );
          if (analysis.audioFilter) ctx.audioFilter = analysis.audioFilter;
        }
        const done = await runAudioOnlyJob(
          ctx,
          steps,
          planAudioOnly(info),
          (renditions, manifests, subs) =>
            metadataRecord(
              jobId,
              videoId,
              request,
              info,
              this.#o,
              { ...result, renditions: renditions.map((r) => ({ ...r, skipped: false })), subtitles: [...subs] },
              keys.master,
              manifests,
            ),
          subtitles,
        );
        await analysis?.done;
        if (steps.firstFailure) throw steps.firstFailure;
        result.renditions = done.renditions.map((r) => ({ ...r, skipped: false }));
        result.subtitles = done.subtitles;
        result.masterKey = keys.master;
        result.mpdKey = keys.mpd;
        result.manifestKeys = done.manifests;
        result.metadataKey = keys.metadata;
        result.status = "completed";
        result.durationMs = Math.round(performance.now() - started);
        await reporter.emit("job.completed", {
          status: "completed",
          duration_ms: result.durationMs,
          ...(info.durationMs === undefined ? {} : { media_duration_ms: info.durationMs }),
          renditions: result.renditions.length,
          manifests: done.manifests,
          bytes: result.renditions.reduce((s, r) => s + r.bytes, 0),
          speed: Math.round(((info.durationMs ?? 0) / Math.max(1, result.durationMs)) * 100) / 100,
        });
        return result;
      }
      // The analyses run beside the encodes (with loudnorm on, the encodes wait for the loudness).
      const look = this.#analysis;
      analysis = look ? await analyseJob(ctx, steps, look, { id: jobId, sourceKey: request.sourceLabel }) : undefined;
      if (analysis?.audioFilter) ctx.audioFilter = analysis.audioFilter;
      const plans = planRenditions(info, selectRungs(this.#o.ladder), this.#o.segmentSeconds);
      const media = info.durationMs ?? 1;
      const cmaf = this.#o.segmentFormat === "cmaf";
      const audio = cmaf ? planAudio(plans) : [];
      const earlierRuns = await Promise.all(
        plans.map((p) => completedEarlier(ctx, p, cmaf ? audioOf(p, audio) : undefined)),
      );
      // A long source: split into chunks any worker of the group encodes (the renditions still to make).
      const todo = plans.filter((_, i) => !earlierRuns[i]);
      const chunking = this.#chunking;
      if (chunking && wantsChunks(chunking, info, this.#o.segmentFormat, todo))
        chunked = await ChunkedEncode.start(
          ctx,
          steps,
          todo,
          audio.filter((a) => todo.some((p) => p.name === a.owner)),
          chunking,
          { attempt: request.attempt ?? 1 },
        );

      const renditions = plans.map(async (plan, i) => {
        const sound = cmaf ? audioOf(plan, audio) : undefined;
        const earlier = earlierRuns[i];
        if (earlier) {
          await reporter.emit(
            "job.step_completed",
            { ...renditionFields(earlier), step: "rendition", status: "completed" },
            { skipped: true },
          );
          return { ...earlier, skipped: true };
        }
        const done = await steps.run(
          { step: "rendition", rendition: plan.name, target_bitrate_bps: plan.videoBps },
          (attempt) =>
            chunked?.rendition(plan, sound) ??
            encodeRendition(
              ctx,
              plan,
              (p) =>
                reporter.progress(`rendition:${plan.name}`, {
                  status: "running",
                  step: "rendition",
                  rendition: plan.name,
                  attempt,
                  progress_pct: Math.min(100, Math.round(((p.outTimeMs ?? 0) / media) * 1000) / 10),
                  ...(p.speed === undefined ? {} : { speed: Math.min(p.speed, 10_000) }),
                }),
              sound,
            ),
          renditionFields,
          // A chunk is retried on its own (by its worker); the rendition's wait is not.
          chunked ? { retry: false } : {},
        );
        return { ...done, skipped: false };
      });
      // The poster is the analyses' choice: the thumbnails wait for scenes, black and freeze.
      const thumbnails = (analysis?.poster ?? Promise.resolve(undefined)).then((poster) =>
        steps.run(
          { step: "thumbnails" },
          () => makeThumbnails(ctx, poster?.at_ms),
          (t) => ({ bytes: t.bytes, analysis: { poster_ms: t.posterMs } }),
        ),
      );
      const settled = await Promise.allSettled([...renditions, thumbnails]);
      await analysis?.done;
      result.subtitles = await subtitles;
      const failed = steps.firstFailure ?? settled.find((s) => s.status === "rejected");
      if (failed) throw failed;
      result.renditions = (settled.slice(0, plans.length) as PromiseFulfilledResult<JobResult["renditions"][number]>[])
        .map((s) => s.value)
        .sort((a, b) => b.height * b.width - a.height * a.width);
      result.thumbnails = (settled.at(-1) as PromiseFulfilledResult<ThumbnailsResult>).value;
      // CMAF: both manifests from the tracks' timelines; each rendition's figures become its
      // variant's (its video plus the audio it plays with), as the master playlist says them.
      const packaged = cmaf ? cmafManifests(result.renditions, result.subtitles) : undefined;
      if (packaged)
        result.renditions = result.renditions.map((r, i) => ({
          ...r,
          bandwidth: packaged.variants[i]!.bandwidth,
          averageBandwidth: packaged.variants[i]!.averageBandwidth,
        }));
      const manifests = packaged ? [keys.master, keys.mpd] : [keys.master];

      const record = metadataRecord(jobId, videoId, request, info, this.#o, result, keys.master, manifests);
      await steps.run(
        { step: "metadata" },
        async () => {
          const body = jsonBytes(record);
          await this.#archive.put(keys.metadata, body, { contentType: "application/json" });
          return body.byteLength;
        },
        (bytes) => ({ bytes }),
      );
      await steps.run(
        { step: "manifest" },
        async () => {
          let bytes = 0;
          if (packaged) {
            const mpd = new TextEncoder().encode(packaged.mpd);
            await this.#archive.put(keys.mpd, mpd, { contentType: "application/dash+xml" });
            bytes += mpd.byteLength;
          }
          const body = new TextEncoder().encode(packaged ? packaged.master : renderMaster(result.renditions));
          // One put each: the Archive port makes an object appear whole or not at all. The
          // master playlist goes last, so a job that failed before it leaves none behind.
          await this.#archive.put(keys.master, body, { contentType: "application/vnd.apple.mpegurl" });
          return bytes + body.byteLength;
        },
        (bytes) => ({ bytes, renditions: result.renditions.length, manifests }),
      );
      result.masterKey = keys.master;
      if (packaged) result.mpdKey = keys.mpd;
      result.manifestKeys = manifests;
      result.metadataKey = keys.metadata;
      result.status = "completed";
      result.durationMs = Math.round(performance.now() - started);
      const totalBytes = result.renditions.reduce((s, r) => s + r.bytes, 0) + (result.thumbnails?.bytes ?? 0);
      await reporter.emit("job.completed", {
        status: "completed",
        duration_ms: result.durationMs,
        ...(info.durationMs === undefined ? {} : { media_duration_ms: info.durationMs }),
        renditions: result.renditions.length,
        manifests,
        bytes: totalBytes,
        speed: Math.round(((info.durationMs ?? 0) / Math.max(1, result.durationMs)) * 100) / 100,
      });
      await chunked?.cleanup().catch(() => undefined);
    } catch (err) {
      abort.abort();
      await analysis?.done;
      await subtitles;
      // Before job.failed: the job's other chunks stop, so no chunk event comes after its end.
      await chunked?.cancel(String((err as Error).message ?? err));
      const failure = (err as { reason?: unknown }).reason ?? err;
      const f = failure as Partial<StepFailure>;
      result.durationMs = Math.round(performance.now() - started);
      result.error = {
        code: f.error?.code ?? "REELTIME_ERR_PIPELINE",
        message: f.error?.message ?? String(failure),
        step: f.step ?? "probe",
        ...(f.rendition ? { rendition: f.rendition } : {}),
      };
      await reporter.emit("job.failed", {
        status: "failed",
        step: (f.step ?? "probe") as "probe",
        ...(f.rendition ? { rendition: f.rendition } : {}),
        duration_ms: result.durationMs,
        ...(f.error ? { error: f.error } : { error: { code: "REELTIME_ERR_PIPELINE", message: String(failure) } }),
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
      await reporter.flush();
    }
    return result;
  }
}

export interface PipelineChunkRunnerOptions extends Omit<ChunkRunnerOptions, "workerId" | "retry" | "onEvent"> {
  workerId: string;
}

function renditionFields(r: RenditionResult) {
  return {
    rendition: r.name,
    media_duration_ms: r.mediaDurationMs,
    bytes: r.bytes,
    bitrate_bps: r.achievedBps,
    target_bitrate_bps: r.targetBps,
    speed: Math.min(r.speed, 10_000),
    width: r.width,
    height: r.height,
    codec: "h264",
    segments: r.segments,
  };
}

/** The audio a CMAF rendition plays with: the track of its audio bitrate, encoded by the highest rendition using it. */
function audioOf(plan: RenditionPlan, audio: readonly AudioPlan[]): RenditionAudio | undefined {
  const a = audio.find((x) => x.bps === plan.audioBps);
  return a ? { ...a, encode: a.owner === plan.name } : undefined;
}

function metadataRecord(
  jobId: string,
  videoId: string,
  request: JobRequest,
  info: MediaInfo,
  o: { segmentSeconds: number; segmentFormat: SegmentFormat },
  result: JobResult,
  master: string,
  manifests: string[],
) {
  return {
    video_id: videoId,
    job_id: jobId,
    title: request.title,
    created_at: new Date().toISOString(),
    source: {
      name: basename(request.sourceLabel ?? request.source),
      format: info.formatName,
      bytes: info.sizeBytes,
      duration_ms: info.durationMs,
      width: info.video?.displayWidth,
      height: info.video?.height,
      video_codec: info.video?.codec,
      audio_codec: info.audio?.codec,
      fps: info.video?.fps,
    },
    segment_seconds: o.segmentSeconds,
    segment_format: o.segmentFormat,
    master,
    manifests,
    renditions: result.renditions.map(({ fingerprint: _, ...r }) => r),
    ...(result.subtitles?.length ? { subtitles: result.subtitles } : {}),
    thumbnails: result.thumbnails,
  };
}
