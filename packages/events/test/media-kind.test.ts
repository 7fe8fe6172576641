// Audio views in the contract (issue 18): playback events may say which kind of element the view
// plays on (`media_kind`: video or audio; absent means video, as every earlier event), and the
// views record keeps it (optional, so records written before it still validate).
import { describe, expect, it } from "vitest";
import {
  athenaDdl,
  columnValue,
  EVENT_TYPES,
  exampleEvent,
  familyColumns,
  indexTemplates,
  jsonSchemas,
  recordColumns,
  SERVER_EVENT_TYPES,
  type ViewRecord,
  validateEvent,
  validateRecord,
} from "../src/index.ts";

// The player's events: playback.delivery is made by the delivery processor from CDN logs and
// names no element.
const PLAYBACK = EVENT_TYPES.filter((t) => t.startsWith("playback.") && !SERVER_EVENT_TYPES.includes(t));

type Mapping = { properties: Record<string, Record<string, unknown>> };
const mappingOf = (name: string) =>
  (indexTemplates()[name] as { template: { mappings: Mapping } }).template.mappings.properties;

const view = (extra: Partial<ViewRecord> = {}): ViewRecord => ({
  view_id: "view-1",
  session_id: "session-1",
  video_id: "episode-7",
  status: "ended",
  started_at: "2026-11-22T10:00:00.000Z",
  last_event_at: "2026-11-22T10:01:00.000Z",
  updated_at: "2026-11-22T10:01:00.100Z",
  events: 6,
  last_seq: 5,
  reached_first_frame: true,
  startup_ms: 420,
  ebvs: false,
  startup_failure: false,
  playback_failure: false,
  non_fatal_errors: 0,
  business_errors: 0,
  playing_ms: 58_000,
  watch_ms: 60_000,
  paused_ms: 0,
  rebuffer_count: 1,
  rebuffer_ms: 1_580,
  rebuffer_ratio: 0.026527,
  rebuffer_frequency: 1.034483,
  seek_count: 0,
  seek_latency_ms: 0,
  rendition_switches: 0,
  switches_up: 0,
  switches_down: 0,
  dropped_frames: 0,
  max_milestone: 100,
  requests: 4,
  request_failures: 0,
  smoothness_score: 79.4,
  playback_success_score: 100,
  ...extra,
});

describe("media_kind on playback events", () => {
  it.each(PLAYBACK)("%s validates with audio, with video and without it; nothing else", (type) => {
    const e = exampleEvent(type);
    expect(validateEvent({ ...e, media_kind: "audio" }).ok).toBe(true);
    expect(validateEvent({ ...e, media_kind: "video" }).ok).toBe(true);
    expect(validateEvent(e).ok).toBe(true);
    const bad = validateEvent({ ...e, media_kind: "podcast" });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.errors.map((i) => i.pointer)).toContain("/media_kind");
  });

  it("is a two-value enum in every playback JSON Schema, optional", () => {
    const schemas = jsonSchemas() as Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    for (const type of PLAYBACK) {
      expect(schemas[type]!.properties.media_kind, type).toMatchObject({ type: "string", enum: ["video", "audio"] });
      expect(schemas[type]!.required ?? [], type).not.toContain("media_kind");
    }
  });

  it("is a keyword in the playback data stream and a string column of the playback family", () => {
    expect(mappingOf("reeltime-events-playback").media_kind).toMatchObject({ type: "keyword" });
    const col = familyColumns("playback").find((c) => c.name === "media_kind");
    expect(col).toEqual({ name: "media_kind", path: ["media_kind"], type: "string", json: false });
    expect(columnValue({ ...exampleEvent("playback.view_start"), media_kind: "audio" }, col!)).toBe("audio");
    expect(athenaDdl().playback_events).toContain("`media_kind` string");
  });

  it("is not a field of click events (a click names the view, whose events carry it)", () => {
    expect(validateEvent({ ...exampleEvent("click"), media_kind: "audio" }).ok).toBe(false);
  });
});

describe("media_kind on the views record", () => {
  it("validates as audio or video, and records written before it (none) still validate", () => {
    expect(validateRecord("views", view({ media_kind: "audio" }))).toEqual([]);
    expect(validateRecord("views", view({ media_kind: "video" }))).toEqual([]);
    expect(validateRecord("views", view())).toEqual([]);
    expect(validateRecord("views", { ...view(), media_kind: "radio" }).map((i) => i.pointer)).toEqual(["/media_kind"]);
  });

  it("is a keyword in the views index, a string column and an Athena column of views", () => {
    expect(mappingOf("reeltime-views").media_kind).toMatchObject({ type: "keyword" });
    const col = recordColumns("views").find((c) => c.name === "media_kind");
    expect(col).toEqual({ name: "media_kind", path: ["media_kind"], type: "string", json: false });
    expect(columnValue(view({ media_kind: "audio" }), col!)).toBe("audio");
    expect(columnValue(view(), col!)).toBeUndefined();
    expect(athenaDdl().views).toContain("`media_kind` string");
  });
});
