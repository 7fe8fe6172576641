import { createHash } from "node:crypto";
import {
  type FaceDetection,
  GetContentModerationCommand,
  type GetContentModerationResponse,
  GetFaceDetectionCommand,
  type GetFaceDetectionResponse,
  GetLabelDetectionCommand,
  type GetLabelDetectionResponse,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
  type Video,
} from "@aws-sdk/client-rekognition";
import type {
  AnalysisFeature,
  AnalysisReport,
  AnalysisSource,
  AnalyzeOptions,
  ContentAnalysis,
  Health,
  TimedFinding,
} from "@reeltime/ports";
import { type ConnectionEnv, ReeltimeError, sleep, unavailable } from "@reeltime/runtime";

export type RekognitionEnv = Pick<ConnectionEnv, "AWS_REGION">;

export interface RekognitionOptions {
  /** A ready client (tests); otherwise one is made for AWS_REGION with the default credential chain. */
  client?: RekognitionClient;
  /** Polling of the Get* call while the job is IN_PROGRESS: first delay, growth factor and cap (ms). */
  poll?: { initialMs: number; factor: number; maxMs: number };
  /** Longest wait for one analysis job before giving up (default 2 h). */
  maxWaitMs?: number;
  /** Results per Get* page (Rekognition allows up to 1000). */
  pageSize?: number;
  /** MinConfidence when the caller gives none (Rekognition's own default is 50). */
  minConfidence?: number;
  /** Face detections of one face further apart than this (ms) are two stretches (default 1000). */
  faceGapMs?: number;
}

const FEATURES = ["moderation", "labels", "faces"] as const satisfies readonly AnalysisFeature[];
type Feature = (typeof FEATURES)[number];

// Errors the service (or the network) gives when trying again later can work.
const TRANSIENT =
  /Throttl|ProvisionedThroughputExceeded|LimitExceeded|InternalServer|ServiceUnavailable|Timeout|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up/i;

function failure(op: string, err: unknown): ReeltimeError {
  if (err instanceof ReeltimeError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ""} ${e.message ?? String(err)}`;
  const status = e.$metadata?.httpStatusCode;
  if (TRANSIENT.test(text) || (status !== undefined && status >= 500))
    return unavailable("analysis", `Rekognition ${op} failed: ${e.name ?? "error"}: ${e.message ?? String(err)}`, err);
  return new ReeltimeError(
    "REELTIME_ERR_ANALYSIS",
    `Rekognition ${op} refused it: ${e.name ?? "error"}: ${e.message ?? String(err)}`,
    { cause: err, ...(status !== undefined ? { upstreamStatus: status } : {}) },
  );
}

const isTransient = (err: unknown) => err instanceof ReeltimeError && err.code === "REELTIME_ERR_ANALYSIS_UNAVAILABLE";

function cancelled(what: string, reason?: unknown): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_CANCELLED", `${what}: the caller stopped waiting`, { cause: reason });
}

/** Rekognition's ClientRequestToken: the same analysis of the same object asked again (a retried step) gets the same job. */
export function requestToken(feature: Feature, video: Video, tag: string | undefined): string {
  const o = video.S3Object ?? {};
  return createHash("sha256")
    .update([feature, o.Bucket, o.Name, o.Version ?? "", tag ?? ""].join("\n"))
    .digest("hex")
    .slice(0, 64);
}

/** A JobTag Rekognition accepts ([a-zA-Z0-9_.\-:]+, up to 256): other characters become '_'. */
export const jobTag = (tag: string) => tag.replace(/[^a-zA-Z0-9_.\-:]/g, "_").slice(0, 256);

const round = (v: number) => Math.round(v * 1000) / 1000;
const byTime = (a: TimedFinding, b: TimedFinding) =>
  a.start_ms - b.start_ms || a.end_ms - b.end_ms || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** One finding from a detection's times: a segment (SEGMENTS aggregation) or an instant (Timestamp). */
function timed(
  d: {
    Timestamp?: number | undefined;
    StartTimestampMillis?: number | undefined;
    EndTimestampMillis?: number | undefined;
  },
  name: string,
  confidence: number | undefined,
  parent: string | undefined,
): TimedFinding {
  const start = d.StartTimestampMillis ?? d.Timestamp ?? 0;
  const end = Math.max(start, d.EndTimestampMillis ?? start);
  return {
    name,
    start_ms: start,
    end_ms: end,
    ...(confidence === undefined ? {} : { confidence: round(confidence) }),
    ...(parent ? { parent } : {}),
  };
}

export function moderationFindings(pages: GetContentModerationResponse[]): TimedFinding[] {
  return pages
    .flatMap((p) => p.ModerationLabels ?? [])
    .filter((d) => d.ModerationLabel?.Name)
    .map((d) => timed(d, d.ModerationLabel!.Name!, d.ModerationLabel!.Confidence, d.ModerationLabel!.ParentName))
    .sort(byTime);
}

export function labelFindings(pages: GetLabelDetectionResponse[]): TimedFinding[] {
  return pages
    .flatMap((p) => p.Labels ?? [])
    .filter((d) => d.Label?.Name)
    .map((d) => timed(d, d.Label!.Name!, d.Label!.Confidence, d.Label!.Parents?.[0]?.Name))
    .sort(byTime);
}

/**
 * Faces come as detections at sampled timestamps (one per face per sample). They become stretches
 * where at least one face at or above `minConfidence` is in the picture: samples closer than
 * `gapMs` join one stretch, which ends at its last sample; its confidence is the highest seen.
 */
export function faceFindings(pages: GetFaceDetectionResponse[], minConfidence: number, gapMs: number): TimedFinding[] {
  const samples = new Map<number, number>();
  for (const f of pages.flatMap((p) => p.Faces ?? []) as FaceDetection[]) {
    const c = f.Face?.Confidence ?? 0;
    if (f.Timestamp === undefined || c < minConfidence) continue;
    samples.set(f.Timestamp, Math.max(samples.get(f.Timestamp) ?? 0, c));
  }
  const out: TimedFinding[] = [];
  for (const [t, c] of [...samples].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && t - last.end_ms <= gapMs) {
      last.end_ms = t;
      last.confidence = Math.max(last.confidence ?? 0, round(c));
    } else out.push({ name: "face", start_ms: t, end_ms: t, confidence: round(c) });
  }
  return out;
}

interface JobPage {
  JobStatus?: string | undefined;
  StatusMessage?: string | undefined;
  NextToken?: string | undefined;
}

/**
 * Content moderation, labels and faces by Amazon Rekognition Video, on an object in S3. Each
 * analysis starts one job (StartContentModeration, StartLabelDetection with GENERAL_LABELS,
 * StartFaceDetection; MinConfidence, JobTag, a ClientRequestToken that makes a retried start
 * the same job), polls its Get* call with exponential backoff while it is IN_PROGRESS, then pages
 * the results with NextToken (moderation and labels aggregated as SEGMENTS, so each finding has
 * a start and an end). A FAILED job is REELTIME_ERR_ANALYSIS with Rekognition's StatusMessage;
 * throttling and 5xx are REELTIME_ERR_ANALYSIS_UNAVAILABLE (retryable), and while a job runs a
 * throttled poll is only waited out. No SNS channel: polling only.
 */
export function createRekognitionAnalysis(env: RekognitionEnv, options: RekognitionOptions = {}): ContentAnalysis {
  const client = options.client ?? new RekognitionClient({ region: env.AWS_REGION, maxAttempts: 5 });
  const poll = options.poll ?? { initialMs: 2000, factor: 2, maxMs: 30_000 };
  const maxWaitMs = options.maxWaitMs ?? 2 * 3600_000;
  const pageSize = options.pageSize ?? 1000;
  const defaultConfidence = options.minConfidence ?? 50;
  const faceGapMs = options.faceGapMs ?? 1000;

  function videoOf(source: AnalysisSource): Video {
    const o = source.object;
    if (!o?.bucket || !o.key)
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        "Rekognition analyses a video in S3: the source needs an object (bucket and key); a local file alone cannot be analysed (store the upload in S3: REELTIME_ARCHIVE=s3)",
      );
    return { S3Object: { Bucket: o.bucket, Name: o.key, ...(o.version ? { Version: o.version } : {}) } };
  }

  async function start(feature: Feature, video: Video, o: AnalyzeOptions): Promise<string> {
    const common = {
      Video: video,
      ClientRequestToken: requestToken(feature, video, o.tag),
      ...(o.tag ? { JobTag: jobTag(o.tag) } : {}),
    };
    const minConfidence = o.minConfidence ?? defaultConfidence;
    const [name, command] =
      feature === "moderation"
        ? ([
            "StartContentModeration",
            new StartContentModerationCommand({ ...common, MinConfidence: minConfidence }),
          ] as const)
        : feature === "labels"
          ? ([
              "StartLabelDetection",
              new StartLabelDetectionCommand({ ...common, MinConfidence: minConfidence, Features: ["GENERAL_LABELS"] }),
            ] as const)
          : (["StartFaceDetection", new StartFaceDetectionCommand({ ...common, FaceAttributes: "DEFAULT" })] as const);
    const res = await (client.send(command as StartContentModerationCommand) as Promise<{ JobId?: string }>).catch(
      (err) => {
        throw failure(name, err);
      },
    );
    if (!res.JobId) throw unavailable("analysis", `Rekognition ${name} returned no JobId`);
    return res.JobId;
  }

  function get(feature: Feature, jobId: string, token: string | undefined): Promise<JobPage> {
    const paging = { JobId: jobId, MaxResults: pageSize, ...(token ? { NextToken: token } : {}) };
    const [name, command] =
      feature === "moderation"
        ? ([
            "GetContentModeration",
            new GetContentModerationCommand({ ...paging, SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" }),
          ] as const)
        : feature === "labels"
          ? ([
              "GetLabelDetection",
              new GetLabelDetectionCommand({ ...paging, SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" }),
            ] as const)
          : (["GetFaceDetection", new GetFaceDetectionCommand(paging)] as const);
    return (client.send(command as GetContentModerationCommand) as Promise<JobPage>).catch((err) => {
      throw failure(name, err);
    });
  }

  /** Polls until the job ends; answers its first page of results. */
  async function waitFor(feature: Feature, jobId: string, signal?: AbortSignal): Promise<JobPage> {
    const began = performance.now();
    let delay = poll.initialMs;
    for (;;) {
      if (signal?.aborted) throw cancelled(`Rekognition ${feature} job ${jobId}`, signal.reason);
      let page: JobPage | undefined;
      try {
        page = await get(feature, jobId, undefined);
      } catch (err) {
        // The job runs on whether or not this poll got through: a throttled poll is waited out.
        if (!isTransient(err)) throw err;
      }
      if (page?.JobStatus === "SUCCEEDED") return page;
      if (page?.JobStatus === "FAILED")
        throw new ReeltimeError(
          "REELTIME_ERR_ANALYSIS",
          `Rekognition ${feature} job ${jobId} failed: ${page.StatusMessage ?? "no reason given"}`,
        );
      if (performance.now() - began + delay > maxWaitMs)
        throw unavailable("analysis", `Rekognition ${feature} job ${jobId} did not finish within ${maxWaitMs} ms`);
      await sleep(delay, signal);
      delay = Math.min(delay * poll.factor, poll.maxMs);
    }
  }

  async function analyze(
    feature: AnalysisFeature,
    source: AnalysisSource,
    o: AnalyzeOptions = {},
  ): Promise<AnalysisReport> {
    if (!(FEATURES as readonly string[]).includes(feature))
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `Rekognition does not run the ${feature} analysis (it runs ${FEATURES.join(", ")}; the pipeline runs ${feature} with ffmpeg)`,
      );
    const f = feature as Feature;
    if (o.signal?.aborted) throw cancelled(`Rekognition ${f}`, o.signal.reason);
    const jobId = await start(f, videoOf(source), o);
    const pages: JobPage[] = [await waitFor(f, jobId, o.signal)];
    while (pages.at(-1)!.NextToken) {
      if (o.signal?.aborted) throw cancelled(`reading Rekognition ${f} job ${jobId}`, o.signal.reason);
      pages.push(await get(f, jobId, pages.at(-1)!.NextToken));
    }
    const findings =
      f === "moderation"
        ? moderationFindings(pages as GetContentModerationResponse[])
        : f === "labels"
          ? labelFindings(pages as GetLabelDetectionResponse[])
          : faceFindings(pages as GetFaceDetectionResponse[], o.minConfidence ?? defaultConfidence, faceGapMs);
    const first = pages[0] as GetContentModerationResponse & GetLabelDetectionResponse;
    const model = first.ModerationModelVersion ?? first.LabelModelVersion;
    return { feature: f, provider: "rekognition", findings, ...(model ? { modelVersion: model } : {}) };
  }

  return {
    driver: "rekognition",
    features: FEATURES,
    start: async () => undefined,
    async health(): Promise<Health> {
      return { ok: true, driver: "rekognition", detail: env.AWS_REGION };
    },
    shutdown: async () => {
      if (!options.client) client.destroy();
    },
    analyze,
  };
}
