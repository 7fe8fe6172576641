import type { PlaybackEvent } from "@reeltime/events";

/**
 * The fields of a view the drill checks, computed from its events straight from the
 * definitions in QOE.md, for the event types the drill's workload makes (view_start,
 * startup_complete, heartbeat, rebuffer_start/end, pause, play, playing, milestone,
 * view_end). Written apart from the sessionizer on purpose: the drill checks the pipeline
 * against the definitions, not against the production code's own arithmetic.
 */
export type ReferenceView = Record<string, string | number | boolean | undefined>;

type Phase = "requested" | "playing" | "paused" | "stalled" | "done";

/** The player's events (the CDN totals, playback.delivery, are not part of this reference). */
type SdkEvent = Exclude<PlaybackEvent, { event_type: "playback.delivery" }>;

export function referenceView(input: PlaybackEvent[]): ReferenceView {
  const unique = new Map<string, SdkEvent & { received_at?: string }>();
  for (const e of input) if (e.event_type !== "playback.delivery" && !unique.has(e.event_id)) unique.set(e.event_id, e);
  const events = [...unique.values()].sort((a, b) => a.seq - b.seq);
  const at = (e: SdkEvent) => new Date(e.client_ts).getTime();
  const first = events[0];
  if (!first) throw new Error("referenceView: a view has at least one event");
  const request = events.find((e) => e.event_type === "playback.view_start") ?? first;

  // Time spent in each phase, from one event's device time to the next.
  const spent: Record<Phase, number> = { requested: 0, playing: 0, paused: 0, stalled: 0, done: 0 };
  let phase: Phase = "requested";
  let since = at(request);
  let firstFrameAt: number | undefined;
  let stalls = 0;
  let milestone = 0;
  let end: SdkEvent | undefined;
  // The SDK's newest running totals (heartbeat, view_end) and the clock's totals when they came:
  // playing and rebuffer time are the SDK's, plus the clock's time after its last report.
  let reported: { playing: number; stalled: number; clockPlaying: number; clockStalled: number } | undefined;
  for (const e of events) {
    const t = at(e);
    if (t > since) {
      spent[phase] += t - since;
      since = t;
    }
    if (e.event_type === "playback.heartbeat" || e.event_type === "playback.view_end")
      reported = {
        playing: e.stats.playing_ms,
        stalled: e.stats.rebuffer_ms,
        clockPlaying: spent.playing,
        clockStalled: spent.stalled,
      };
    if (phase === "done") continue;
    switch (e.event_type) {
      case "playback.startup_complete":
        firstFrameAt ??= t;
        phase = "playing";
        break;
      case "playback.rebuffer_start":
        // A stall counts only after the first frame and while not paused.
        if (phase === "playing") {
          stalls++;
          phase = "stalled";
        }
        break;
      case "playback.rebuffer_end":
        if (phase === "stalled") phase = "playing";
        break;
      case "playback.pause":
        if (firstFrameAt !== undefined) phase = "paused";
        break;
      case "playback.play":
      case "playback.playing":
        if (phase === "paused") phase = "playing";
        break;
      case "playback.heartbeat":
        if (firstFrameAt !== undefined && e.state === "playing") phase = "playing";
        if (firstFrameAt !== undefined && e.state === "paused") phase = "paused";
        break;
      case "playback.milestone":
        milestone = Math.max(milestone, e.percent);
        break;
      case "playback.view_end":
        end = e;
        phase = "done";
        break;
      default:
        break;
    }
  }

  const last = events[events.length - 1]!;
  const startupSeconds = firstFrameAt === undefined ? undefined : (firstFrameAt - at(request)) / 1000;
  const playing = reported ? reported.playing + spent.playing - reported.clockPlaying : spent.playing;
  const stalled = reported ? reported.stalled + spent.stalled - reported.clockStalled : spent.stalled;
  const ratio = playing + stalled === 0 ? 0 : stalled / (playing + stalled);
  // Exit before video start: ended without a first frame after waiting at least 1 s.
  const ebvs = end !== undefined && firstFrameAt === undefined && at(last) - at(request) >= 1000;
  const newestReceived = Math.max(...events.map((e) => new Date(e.received_at ?? e.client_ts).getTime()));
  return {
    view_id: first.view_id,
    session_id: first.session_id,
    app_id: first.app_id,
    video_id: first.video.id,
    status: end ? "ended" : "active",
    end_reason: end?.event_type === "playback.view_end" ? end.reason : undefined,
    started_at: request.client_ts,
    ended_at: end?.client_ts,
    last_event_at: last.client_ts,
    updated_at: new Date(newestReceived).toISOString(),
    events: events.length,
    last_seq: last.seq,
    reached_first_frame: firstFrameAt !== undefined,
    startup_ms: startupSeconds === undefined ? undefined : startupSeconds * 1000,
    ebvs,
    playback_failure: false,
    playing_ms: playing,
    paused_ms: spent.paused,
    // Watch time includes startup and rebuffering, excludes pauses (playing and rebuffering as reported).
    watch_ms: spent.requested + playing + stalled,
    rebuffer_count: stalls,
    rebuffer_ms: stalled,
    rebuffer_ratio: ratio,
    rebuffer_frequency: playing === 0 ? 0 : stalls / (playing / 60_000),
    max_milestone: milestone,
    startup_score: startupSeconds === undefined ? undefined : (100 * 8) / (8 + startupSeconds),
    smoothness_score: (100 / Math.sqrt(1 + (stalls / 2) ** 2) + 100 * Math.exp(-10 * ratio)) / 2,
    playback_success_score: ebvs ? 50 : 100,
    weight: 1,
  };
}

/** One field of a stored view that differs from the reference. */
export interface FieldDiff {
  field: string;
  expected: unknown;
  actual: unknown;
}

/**
 * The fields of `stored` that differ from the reference: strings and flags exactly, numbers
 * within 0.001 (the store keeps ratios and scores rounded); a field the reference leaves
 * undefined must be absent. A missing record differs in every field.
 */
export function diffView(expected: ReferenceView, stored: Record<string, unknown> | undefined): FieldDiff[] {
  if (!stored) return [{ field: "(record)", expected: "a views record", actual: "none" }];
  const out: FieldDiff[] = [];
  for (const [field, want] of Object.entries(expected)) {
    const got = stored[field];
    const same =
      typeof want === "number" && typeof got === "number"
        ? Math.abs(want - got) <= 1e-3
        : want === got || (want === undefined && got === null);
    if (!same) out.push({ field, expected: want, actual: got });
  }
  return out;
}
