import { SCHEMA_VERSION } from "@reeltime/events";
import fc from "fast-check";
import type { CatalogueEvent } from "../src/state.ts";

/** A UUIDv7-shaped id from a number, so generated events are reproducible. */
export const eventId = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
/** Few distinct instants, so generated events often share a client_ts (ties broken by event_id). */
export const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

export interface Spec {
  type: CatalogueEvent["event_type"];
  n: number;
  minute: number;
  video: string;
  app?: string;
  title?: string;
  job?: string;
  step?: "probe" | "rendition" | "thumbnails" | "manifest" | "metadata";
  rendition?: string;
  /** Output size of a rendition step (left out when undefined, as events before sizes were kept). */
  bytes?: number;
  /** job.manifests of a manifest step or job.completed: file names under the video's media folder (left out when undefined, as events before the list). */
  manifests?: readonly string[];
  email?: string;
  errorCode?: string;
}

/** A valid upload.* or job.* event of the contract. */
export function makeEvent(s: Spec): CatalogueEvent {
  const base = {
    event_id: eventId(s.n),
    schema_version: SCHEMA_VERSION,
    client_ts: at(s.minute),
    seq: s.n,
    app_id: s.app ?? "app-a",
    video: { id: s.video, ...(s.title ? { title: s.title } : {}) },
  };
  if (s.type.startsWith("upload.")) {
    const upload = {
      id: `up-${s.video}`,
      key: `uploads/${s.app ?? "app-a"}/${s.video}`,
      bytes: 1000 + s.n,
      content_type: "video/mp4",
      ...(s.type === "upload.completed" ? { version: `ver-${s.n}` } : {}),
      ...(s.type === "upload.aborted"
        ? { error: { code: s.errorCode ?? "REELTIME_ERR_CHECKSUM", message: `refused ${s.n}` } }
        : {}),
    };
    return {
      ...base,
      event_type: s.type,
      upload,
      owner: { id: "owner-1", ...(s.email ? { email: s.email } : {}) },
    } as CatalogueEvent;
  }
  const status =
    s.type === "job.completed"
      ? "completed"
      : s.type === "job.failed" || s.type === "job.step_failed"
        ? "failed"
        : s.type === "job.created"
          ? "created"
          : s.type === "job.step_completed"
            ? "completed"
            : "running";
  const step = s.type.startsWith("job.step_") ? (s.step ?? "probe") : undefined;
  const job = {
    id: s.job ?? "job-1",
    status,
    ...(step ? { step } : {}),
    ...(step === "rendition"
      ? {
          rendition: s.rendition ?? "720p",
          bitrate_bps: 2_000_000 + s.n,
          ...(s.bytes !== undefined ? { bytes: s.bytes } : {}),
        }
      : {}),
    ...(step === "probe" && s.type === "job.step_completed" ? { width: 1920, height: 1080 + (s.n % 2) * 0 } : {}),
    ...(s.type === "job.completed" ? { media_duration_ms: 60_000 + s.n } : {}),
    ...(s.manifests !== undefined && (s.type === "job.completed" || step === "manifest")
      ? { manifests: s.manifests.map((m) => `media/${s.video}/${m}`) }
      : {}),
    ...(s.type === "job.failed" || s.type === "job.step_failed"
      ? { error: { code: s.errorCode ?? "REELTIME_ERR_NOT_A_VIDEO", message: `failed ${s.n}` } }
      : {}),
  };
  return { ...base, event_type: s.type, job } as CatalogueEvent;
}

const TYPES = [
  "upload.created",
  "upload.completed",
  "upload.aborted",
  "job.created",
  "job.step_started",
  "job.step_progress",
  "job.step_completed",
  "job.step_failed",
  "job.completed",
  "job.failed",
] as const;

/** Specs of a few videos' events, numbered uniquely (event ids differ, instants often tie). */
export const specs = (videos: readonly string[] = ["v1", "v2"], maxLength = 14) =>
  fc
    .array(
      fc.record({
        type: fc.constantFrom(...TYPES),
        minute: fc.integer({ min: 0, max: 6 }),
        video: fc.constantFrom(...videos),
        title: fc.option(fc.constantFrom("Big Buck Bunny", "Sintel", "Tears of Steel"), { nil: undefined }),
        job: fc.constantFrom("job-1", "job-2"),
        step: fc.constantFrom("probe", "rendition", "thumbnails", "manifest", "metadata"),
        rendition: fc.constantFrom("1080p", "720p", "360p"),
        bytes: fc.option(fc.integer({ min: 0, max: 50_000_000 }), { nil: undefined }),
        manifests: fc.option(fc.constantFrom(["master.m3u8"], ["master.m3u8", "manifest.mpd"]), { nil: undefined }),
        email: fc.option(fc.constantFrom("a@example.com", "b@example.com"), { nil: undefined }),
      }),
      { minLength: 1, maxLength },
    )
    .map((xs) => xs.map((x, i) => ({ ...x, n: i + 1 }) as Spec));
