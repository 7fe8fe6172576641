import type { JobEvent, UploadEvent, VideoRecord } from "@reeltime/events";

/**
 * The order of two facts about a video: the event's `client_ts` (as an ISO instant) then its
 * `event_id`, so every replica ranks the same events the same way. Compared as plain strings
 * (fixed-width ISO, then UUIDv7 hex); in SQL under COLLATE "C".
 */
export type Version = string;

/** A value and the version of the event that set it: the newest version wins (last writer wins). */
export interface Lww<T> {
  v: Version;
  value: T;
}

export type VideoRendition = VideoRecord["renditions"][number];
/** What one analysis step found (its job.step_completed's `job.analysis`), or the thumbnails step's poster. */
export type AnalysisFact = NonNullable<JobEvent["job"]["analysis"]>;
/** The analyses the catalogue keeps, in the order their findings are listed. */
export const ANALYSES = ["scenes", "black", "freeze", "silence", "loudness", "moderation", "labels", "faces"] as const;
export type AnalysisKey = (typeof ANALYSES)[number] | "poster";

/** The fields kept last-writer-wins, each with its own version. */
export interface VideoFields {
  title: string;
  owner_id: string;
  /** PRIVATE (the uploader's email): kept here for the notifier, never in the record search holds. */
  owner_email: string;
  upload_id: string;
  source_key: string;
  source_version: string;
  source_bytes: number;
  content_type: string;
  job_id: string;
  duration_ms: number;
  width: number;
  height: number;
}
export type FieldName = keyof VideoFields;

/**
 * Everything the catalogue knows about one video, as a join-semilattice: each part is merged by
 * last-writer-wins (per field), min (first time a state was reached), max (newest activity or
 * failure) or set union. Merging is commutative, associative and idempotent, so any order and any
 * number of deliveries of the same events give the same state; the row is derived from it.
 */
export interface VideoState {
  app_id: string;
  video_id: string;
  fields: { [F in FieldName]?: Lww<VideoFields[F]> };
  renditions: Record<string, Lww<VideoRendition>>;
  /** The newest run of each analysis (last writer wins per analysis); absent until one completed. */
  analysis?: { [K in AnalysisKey]?: Lww<AnalysisFact> };
  /** Sorted, without duplicates. */
  manifests: string[];
  thumbnails: string[];
  /** First upload.completed. */
  uploaded_at?: string;
  /** First job event that is not an end (created, step_*). */
  processing_at?: string;
  /** First job.completed. */
  ready_at?: string;
  /** Newest job event that is not an end: a job still (or again) at work. */
  active_v?: Version;
  /** Newest failure (job.failed, upload.aborted) with its reason and time. */
  failure?: Lww<{ code: string; message: string; at: string }>;
  /** Newest client_ts of any event of the video. */
  updated_at: string;
}

export type CatalogueEvent = UploadEvent | JobEvent;

/** Where the pipeline writes a video's outputs in the archive (pipeline/src/job/keys.ts: `media/<video_id>/`). */
const media = (videoId: string) => `media/${videoId}`;

/**
 * The manifests a job event names (job.manifests: the HLS master playlist, and the DASH MPD of a
 * CMAF package), kept only under the video's own media folder; an event from before the list
 * existed means the master playlist alone.
 */
function manifestsOf(videoId: string, j: JobEvent): string[] {
  const root = `${media(videoId)}/`;
  const named = j.job.manifests?.filter((k) => k.startsWith(root) && !k.split("/").includes(".."));
  return named && named.length > 0 ? [...new Set(named)].sort() : [`${root}master.m3u8`];
}

const iso = (ts: string) => new Date(ts).toISOString();
const maxOf = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined || a >= b ? a : b;
const minOf = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined || a <= b ? a : b;
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();

function newer<T>(a: Lww<T> | undefined, b: Lww<T> | undefined): Lww<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  // Equal versions are the same event: the same value.
  return a.v >= b.v ? a : b;
}

/** The join of two states of the same video. */
export function mergeStates(a: VideoState, b: VideoState): VideoState {
  const fields: VideoState["fields"] = { ...a.fields };
  for (const [k, lww] of Object.entries(b.fields) as [FieldName, Lww<never>][])
    (fields as Record<string, Lww<unknown> | undefined>)[k] = newer(a.fields[k] as Lww<unknown> | undefined, lww);
  const renditions = { ...a.renditions };
  for (const [k, lww] of Object.entries(b.renditions))
    renditions[k] = newer(a.renditions[k], lww) as Lww<VideoRendition>;
  let analysis: VideoState["analysis"];
  if (a.analysis !== undefined || b.analysis !== undefined) {
    analysis = { ...a.analysis };
    for (const [k, lww] of Object.entries(b.analysis ?? {}) as [AnalysisKey, Lww<AnalysisFact>][])
      analysis[k] = newer(a.analysis?.[k], lww) as Lww<AnalysisFact>;
    analysis = sortKeys(analysis);
  }
  const out: VideoState = {
    app_id: a.app_id,
    video_id: a.video_id,
    fields: sortKeys(fields),
    renditions: sortKeys(renditions),
    ...(analysis === undefined ? {} : { analysis }),
    manifests: union(a.manifests, b.manifests),
    thumbnails: union(a.thumbnails, b.thumbnails),
    updated_at: maxOf(a.updated_at, b.updated_at) as string,
  };
  const opt = {
    uploaded_at: minOf(a.uploaded_at, b.uploaded_at),
    processing_at: minOf(a.processing_at, b.processing_at),
    ready_at: minOf(a.ready_at, b.ready_at),
    active_v: maxOf(a.active_v, b.active_v),
    failure: newer(a.failure, b.failure),
  };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) as T;
}

/** The video an event is about, or why the catalogue does not keep it. */
export function videoKey(e: CatalogueEvent): { app_id: string; video_id: string } | { skip: string } {
  const videoId = e.video?.id;
  if (typeof videoId !== "string" || videoId === "") return { skip: "no video id" };
  if (typeof e.app_id !== "string" || e.app_id === "") return { skip: "no app_id" };
  return { app_id: e.app_id, video_id: videoId };
}

/** What one event says about its video, as a state to merge; undefined for an event not about a catalogued video. */
export function stateOf(e: CatalogueEvent): VideoState | undefined {
  const key = videoKey(e);
  if ("skip" in key) return undefined;
  const at = iso(e.client_ts);
  const v: Version = `${at}|${e.event_id}`;
  const s: VideoState = { ...key, fields: {}, renditions: {}, manifests: [], thumbnails: [], updated_at: at };
  const set = <F extends FieldName>(f: F, value: VideoFields[F] | undefined) => {
    if (value !== undefined) (s.fields as Record<string, Lww<unknown>>)[f] = { v, value };
  };
  set("title", e.video?.title);
  set("duration_ms", e.video?.duration_ms);
  if (e.event_type.startsWith("upload.")) {
    const u = e as UploadEvent;
    set("owner_id", u.owner?.id);
    set("owner_email", u.owner?.email);
    set("upload_id", u.upload.id);
    set("source_key", u.upload.key);
    set("source_version", u.upload.version);
    set("source_bytes", u.upload.bytes);
    set("content_type", u.upload.content_type);
    if (u.event_type === "upload.completed") s.uploaded_at = at;
    if (u.event_type === "upload.aborted")
      s.failure = {
        v,
        value: {
          code: u.upload.error?.code ?? "REELTIME_ERR_UPLOAD_STATE",
          message: u.upload.error?.message ?? "the upload was aborted",
          at,
        },
      };
    return s;
  }
  const j = e as JobEvent;
  set("job_id", j.job.id);
  set("duration_ms", j.job.media_duration_ms);
  if (j.event_type === "job.completed") {
    s.ready_at = at;
    s.manifests = manifestsOf(key.video_id, j);
  } else if (j.event_type === "job.failed")
    s.failure = {
      v,
      value: {
        code: j.job.error?.code ?? "REELTIME_ERR_PIPELINE",
        message: j.job.error?.message ?? "the job failed",
        at,
      },
    };
  else {
    s.processing_at = at;
    s.active_v = v;
  }
  if (j.event_type === "job.step_completed") {
    if (j.job.step === "probe") {
      set("width", j.job.width);
      set("height", j.job.height);
    }
    if (j.job.step === "rendition" && j.job.rendition !== undefined) {
      const id = j.job.rendition;
      const r: VideoRendition = { id, playlist: `${media(key.video_id)}/${id}/index.m3u8` };
      if (j.job.width !== undefined) r.width = j.job.width;
      if (j.job.height !== undefined) r.height = j.job.height;
      if (j.job.bitrate_bps !== undefined) r.bitrate_bps = Math.round(j.job.bitrate_bps);
      if (j.job.codec !== undefined) r.codecs = j.job.codec;
      if (j.job.bytes !== undefined) r.bytes = j.job.bytes;
      s.renditions[id] = { v, value: r };
    }
    if (j.job.step === "manifest") s.manifests = manifestsOf(key.video_id, j);
    if (j.job.step === "thumbnails") s.thumbnails = [`${media(key.video_id)}/thumbnails/`];
    const found = j.job.analysis;
    if (found !== undefined) {
      if (j.job.step === "thumbnails" && found.poster_ms !== undefined)
        s.analysis = { poster: { v, value: { poster_ms: found.poster_ms } } };
      else if ((ANALYSES as readonly string[]).includes(j.job.step ?? ""))
        s.analysis = { [j.job.step as AnalysisKey]: { v, value: found } };
    }
  }
  return s;
}

/** Folds events (any order, any repeats) into states per video: `${app_id}/${video_id}` → state. */
export function reduceEvents(events: Iterable<CatalogueEvent>, into = new Map<string, VideoState>()) {
  for (const e of events) {
    const s = stateOf(e);
    if (s === undefined) continue;
    const k = `${s.app_id}/${s.video_id}`;
    const had = into.get(k);
    into.set(k, had === undefined ? s : mergeStates(had, s));
  }
  return into;
}

/**
 * The status a state stands for. `ready` is final: a later job that fails leaves the video ready
 * (its outputs are still there). `failed` is left only by a retry: a job event that is not an end
 * and is newer than the newest failure makes the video `processing` again, and then `ready` when a
 * job completes. Upload events never move a video back.
 */
export function statusOf(s: VideoState): VideoRecord["status"] {
  if (s.ready_at !== undefined) return "ready";
  if (s.failure !== undefined && (s.active_v === undefined || s.failure.v > s.active_v)) return "failed";
  if (s.active_v !== undefined) return "processing";
  return "uploaded";
}

/** The catalogue row of a state: the contract's VideoRecord plus the private owner email. */
export function recordOf(s: VideoState): VideoRecord & { owner_email?: string } {
  const status = statusOf(s);
  const f = s.fields;
  const r: VideoRecord & { owner_email?: string } = {
    video_id: s.video_id,
    app_id: s.app_id,
    status,
    renditions: Object.values(s.renditions)
      .map((x) => x.value)
      .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    manifests: s.manifests,
    thumbnails: s.thumbnails,
    updated_at: s.updated_at,
  };
  for (const k of Object.keys(f).sort() as FieldName[]) (r as Record<string, unknown>)[k] = f[k]?.value;
  if (s.uploaded_at !== undefined) r.uploaded_at = s.uploaded_at;
  if (s.processing_at !== undefined) r.processing_at = s.processing_at;
  if (s.ready_at !== undefined) r.ready_at = s.ready_at;
  if (status === "failed" && s.failure !== undefined) {
    r.failure_code = s.failure.value.code;
    r.failure_message = s.failure.value.message;
    r.failed_at = s.failure.value.at;
  }
  if (s.ready_at !== undefined && s.uploaded_at !== undefined) {
    const ms = Date.parse(s.ready_at) - Date.parse(s.uploaded_at);
    if (ms >= 0) r.upload_to_ready_ms = ms;
  }
  if (s.analysis !== undefined && Object.keys(s.analysis).length > 0) r.analysis = videoAnalysisOf(s.analysis);
  return r;
}

type VideoAnalysis = NonNullable<VideoRecord["analysis"]>;
/** The video record holds at most this many findings (the contract's bound). */
export const MAX_VIDEO_FINDINGS = 1600;

/**
 * The video record's analysis from the newest run of each: totals to filter on (poster, scene
 * changes, black/freeze/silence time, loudness and its flags, labels, moderation labels, faces)
 * and every finding with its analysis, in time order.
 */
export function videoAnalysisOf(a: NonNullable<VideoState["analysis"]>): VideoAnalysis {
  const out: VideoAnalysis = { findings: [] };
  const poster = a.poster?.value.poster_ms;
  if (poster !== undefined) out.poster_ms = poster;
  if (a.scenes) out.scene_changes = a.scenes.value.findings ?? a.scenes.value.items?.length ?? 0;
  if (a.black) out.black_ms = a.black.value.total_ms ?? 0;
  if (a.freeze) out.freeze_ms = a.freeze.value.total_ms ?? 0;
  if (a.silence) out.silence_ms = a.silence.value.total_ms ?? 0;
  const l = a.loudness?.value;
  if (l) {
    if (l.integrated_lufs !== undefined) out.integrated_lufs = l.integrated_lufs;
    if (l.loudness_range_lu !== undefined) out.loudness_range_lu = l.loudness_range_lu;
    if (l.true_peak_dbtp !== undefined) out.true_peak_dbtp = l.true_peak_dbtp;
    if (l.target_lufs !== undefined) out.target_lufs = l.target_lufs;
    if (l.loudness_flags !== undefined) out.loudness_flags = l.loudness_flags;
    if (l.loudness_ok !== undefined) out.loudness_ok = l.loudness_ok;
  }
  if (a.labels) out.labels = a.labels.value.labels ?? [];
  if (a.moderation) out.moderation = a.moderation.value.labels ?? [];
  if (a.faces) out.faces = a.faces.value.findings ?? a.faces.value.items?.length ?? 0;
  const order = (k: string) => ANALYSES.indexOf(k as (typeof ANALYSES)[number]);
  out.findings = ANALYSES.flatMap((k) => (a[k]?.value.items ?? []).map((f) => ({ analysis: k, ...f })))
    .sort((x, y) => x.start_ms - y.start_ms || order(x.analysis) - order(y.analysis) || x.end_ms - y.end_ms)
    .slice(0, MAX_VIDEO_FINDINGS);
  return out;
}

/** The record without the private owner email: what search and the archive may hold. */
export function publicRecord(r: VideoRecord & { owner_email?: string }): VideoRecord {
  const { owner_email: _private, ...pub } = r;
  return pub;
}
