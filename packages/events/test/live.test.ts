// Live views in the contract (issue 21): `video.stream_type` says vod or live, heartbeats and
// view_end of a live view carry `live` (latency, edge distance, behind-live, catch-up), and the
// views record keeps the stream type and a latency summary (optional: older records validate).
import { describe, expect, it } from "vitest";
import {
  athenaDdl,
  exampleEvent,
  familyColumns,
  recordColumns,
  STREAM_TYPES,
  validateEvent,
  validateRecord,
} from "../src/index.ts";

const live = {
  latency_ms: 7_420,
  latency_p50_ms: 7_310,
  edge_distance_ms: 6_050,
  target_latency_ms: 6_000,
  behind_live_ms: 50,
  max_behind_live_ms: 2_400,
  catchup_ms: 3_900,
  catchup_count: 1,
};
const liveVideo = { id: "news-24", stream_type: "live" as const };

describe("live figures on playback events", () => {
  it.each(["playback.heartbeat", "playback.view_end"] as const)("%s validates with live, and without", (type) => {
    const e = exampleEvent(type);
    expect(validateEvent({ ...e, video: liveVideo, live }).ok).toBe(true);
    expect(
      validateEvent({ ...e, video: liveVideo, live: { max_behind_live_ms: 0, catchup_ms: 0, catchup_count: 0 } }).ok,
    ).toBe(true);
    expect(validateEvent(e).ok).toBe(true);
  });

  it("takes a negative latency (a client clock behind the encoder's) but no negative edge distance", () => {
    const e = exampleEvent("playback.heartbeat");
    expect(validateEvent({ ...e, video: liveVideo, live: { ...live, latency_ms: -300 } }).ok).toBe(true);
    const bad = validateEvent({ ...e, video: liveVideo, live: { ...live, edge_distance_ms: -1 } });
    expect(bad.ok ? [] : bad.errors.map((i) => i.pointer)).toContain("/live/edge_distance_ms");
  });

  it("refuses unknown live fields and live on other events", () => {
    const hb = validateEvent({ ...exampleEvent("playback.heartbeat"), live: { ...live, drift: 1 } });
    expect(hb.ok).toBe(false);
    expect(validateEvent({ ...exampleEvent("playback.playing"), live }).ok).toBe(false);
  });

  it("stream_type is vod or live on the video object", () => {
    expect(STREAM_TYPES).toEqual(["vod", "live"]);
    const e = exampleEvent("playback.view_start");
    expect(validateEvent({ ...e, video: liveVideo }).ok).toBe(true);
    expect(validateEvent({ ...e, video: { ...liveVideo, stream_type: "linear" } }).ok).toBe(false);
  });

  it("live figures are columns of the playback family", () => {
    const names = familyColumns("playback").map((c) => c.name);
    expect(names.some((n) => n.includes("latency_p50_ms"))).toBe(true);
    expect(names.some((n) => n.includes("catchup_ms"))).toBe(true);
  });
});

describe("live summary on the views record", () => {
  const base = {
    view_id: "view-1",
    session_id: "session-1",
    video_id: "news-24",
    status: "ended",
    started_at: "2026-11-22T10:00:00.000Z",
    last_event_at: "2026-11-22T10:01:00.000Z",
    updated_at: "2026-11-22T10:01:00.100Z",
    events: 6,
    last_seq: 5,
    reached_first_frame: true,
    ebvs: false,
    startup_failure: false,
    playback_failure: false,
    non_fatal_errors: 0,
    business_errors: 0,
    playing_ms: 58_000,
    watch_ms: 60_000,
    paused_ms: 0,
    rebuffer_count: 0,
    rebuffer_ms: 0,
    rebuffer_ratio: 0,
    rebuffer_frequency: 0,
    seek_count: 0,
    seek_latency_ms: 0,
    rendition_switches: 0,
    switches_up: 0,
    switches_down: 0,
    dropped_frames: 0,
    max_milestone: 0,
    requests: 4,
    request_failures: 0,
    smoothness_score: 100,
    playback_success_score: 100,
  };
  const summary = {
    stream_type: "live",
    live_latency_ms: 7_420,
    live_latency_p50_ms: 7_310,
    live_edge_distance_ms: 6_050,
    live_max_behind_ms: 2_400,
    live_catchup_ms: 3_900,
  };

  it("validates with the live block, and records written before it still validate", () => {
    expect(validateRecord("views", { ...base, ...summary })).toEqual([]);
    expect(validateRecord("views", base)).toEqual([]);
    expect(validateRecord("views", { ...base, stream_type: "linear" }).map((i) => i.pointer)).toEqual(["/stream_type"]);
  });

  it("the block is contiguous in the record's columns and in Athena", () => {
    const names = recordColumns("views").map((c) => c.name);
    const at = names.indexOf("stream_type");
    expect(names.slice(at, at + 6)).toEqual(Object.keys(summary));
    expect(athenaDdl().views).toContain("`live_latency_p50_ms` bigint");
  });
});
