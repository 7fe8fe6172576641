import type { VideoRecord } from "@reeltime/events";
import type { CatalogueEvent } from "../src/state.ts";

/**
 * The catalogue row of one video computed another way than the reducer: sort the video's events
 * by (client_ts, event_id) once, take each field from the last event that has it, and read the
 * status rules straight off the sorted list. No merging, no per-field versions.
 */
export function referenceRecord(all: readonly CatalogueEvent[], app: string, video: string) {
  const uniq = new Map<string, CatalogueEvent>();
  for (const e of all) if (e.app_id === app && e.video?.id === video) uniq.set(e.event_id, e);
  const events = [...uniq.values()].sort((a, b) => {
    const ta = Date.parse(a.client_ts);
    const tb = Date.parse(b.client_ts);
    return ta !== tb ? ta - tb : a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
  });
  if (events.length === 0) return undefined;
  const r: Record<string, unknown> = { video_id: video, app_id: app, renditions: [], manifests: [], thumbnails: [] };
  const renditions = new Map<string, Record<string, unknown>>();
  const manifests = new Set<string>();
  const thumbnails = new Set<string>();
  const iso = (e: CatalogueEvent) => new Date(e.client_ts).toISOString();
  let ready: string | undefined;
  let uploaded: string | undefined;
  let processing: string | undefined;
  let lastFailIndex = -1;
  let lastActiveIndex = -1;
  events.forEach((e, i) => {
    if (e.video?.title !== undefined) r.title = e.video.title;
    if (e.video?.duration_ms !== undefined) r.duration_ms = e.video.duration_ms;
    if (e.event_type.startsWith("upload.")) {
      const u = e as Extract<CatalogueEvent, { upload: unknown }>;
      if (u.owner?.id !== undefined) r.owner_id = u.owner.id;
      if (u.owner?.email !== undefined) r.owner_email = u.owner.email;
      r.upload_id = u.upload.id;
      r.source_key = u.upload.key;
      if (u.upload.version !== undefined) r.source_version = u.upload.version;
      if (u.upload.bytes !== undefined) r.source_bytes = u.upload.bytes;
      if (u.upload.content_type !== undefined) r.content_type = u.upload.content_type;
      if (e.event_type === "upload.completed") uploaded ??= iso(e);
      if (e.event_type === "upload.aborted") lastFailIndex = i;
      return;
    }
    const j = e as Extract<CatalogueEvent, { job: unknown }>;
    r.job_id = j.job.id;
    if (j.job.media_duration_ms !== undefined) r.duration_ms = j.job.media_duration_ms;
    if (e.event_type === "job.completed") {
      ready ??= iso(e);
      for (const m of manifestsNamed(j, video)) manifests.add(m);
    } else if (e.event_type === "job.failed") lastFailIndex = i;
    else {
      processing ??= iso(e);
      lastActiveIndex = i;
    }
    if (e.event_type === "job.step_completed") {
      if (j.job.step === "probe") {
        if (j.job.width !== undefined) r.width = j.job.width;
        if (j.job.height !== undefined) r.height = j.job.height;
      }
      if (j.job.step === "rendition" && j.job.rendition !== undefined)
        renditions.set(j.job.rendition, {
          id: j.job.rendition,
          playlist: `media/${video}/${j.job.rendition}/index.m3u8`,
          ...(j.job.bitrate_bps !== undefined ? { bitrate_bps: Math.round(j.job.bitrate_bps) } : {}),
          ...(j.job.bytes !== undefined ? { bytes: j.job.bytes } : {}),
        });
      if (j.job.step === "manifest") for (const m of manifestsNamed(j, video)) manifests.add(m);
      if (j.job.step === "thumbnails") thumbnails.add(`media/${video}/thumbnails/`);
    }
  });
  const status: VideoRecord["status"] =
    ready !== undefined
      ? "ready"
      : lastFailIndex > lastActiveIndex
        ? "failed"
        : lastActiveIndex >= 0
          ? "processing"
          : "uploaded";
  r.status = status;
  r.renditions = [...renditions.values()].sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
  r.manifests = [...manifests].sort();
  r.thumbnails = [...thumbnails].sort();
  if (uploaded !== undefined) r.uploaded_at = uploaded;
  if (processing !== undefined) r.processing_at = processing;
  if (ready !== undefined) r.ready_at = ready;
  if (status === "failed") {
    const f = events[lastFailIndex]!;
    const err =
      f.event_type === "upload.aborted"
        ? (f as Extract<CatalogueEvent, { upload: unknown }>).upload.error
        : (f as Extract<CatalogueEvent, { job: unknown }>).job.error;
    r.failure_code = err?.code;
    r.failure_message = err?.message;
    r.failed_at = iso(f);
  }
  if (ready !== undefined && uploaded !== undefined && Date.parse(ready) >= Date.parse(uploaded))
    r.upload_to_ready_ms = Date.parse(ready) - Date.parse(uploaded);
  r.updated_at = iso(events.at(-1)!);
  return r;
}

/** job.manifests under the video's folder, or the master playlist alone for an event without the list. */
function manifestsNamed(j: Extract<CatalogueEvent, { job: unknown }>, video: string): string[] {
  const mine = (j.job.manifests ?? []).filter((k) => k.startsWith(`media/${video}/`) && !k.split("/").includes(".."));
  return mine.length > 0 ? mine : [`media/${video}/master.m3u8`];
}
