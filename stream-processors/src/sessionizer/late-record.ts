import type { ViewRecord } from "@reeltime/events";
import type { ViewEvent } from "./accumulator.ts";
import { playbackSuccessScore, rebufferFrequency, rebufferRatio, smoothnessScore, startupScore } from "./scores.ts";

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * A late event on the stored record of a finished view that left the sessionizer's memory: the
 * record only grows (events, counters, maxima, errors, the newest time); durations and the
 * timeline stay as they were, since the event can no longer be placed among the others. Returns
 * the same object when the event is taken for a duplicate: with `duplicateBelowLastSeq`, an
 * event numbered at or below `last_seq` of a record that already counts that many events (the
 * SDK numbers a view's events 0, 1, 2...: nothing of it was missing).
 */
export function lateOnRecord(r: ViewRecord, e: ViewEvent, opts: { duplicateBelowLastSeq: boolean }): ViewRecord {
  if (opts.duplicateBelowLastSeq && e.seq <= r.last_seq && r.events >= r.last_seq + 1) return r;
  const v: ViewRecord = { ...r, events: r.events + 1 };
  const received = Date.parse(e.received_at ?? e.client_ts);
  if (received > Date.parse(r.updated_at)) v.updated_at = new Date(received).toISOString();
  if (e.event_type === "playback.cmcd") return v;
  if (e.seq > r.last_seq) {
    v.last_seq = e.seq;
    v.last_event_at = new Date(Date.parse(e.client_ts)).toISOString();
  }
  switch (e.event_type) {
    case "playback.startup_complete":
      if (!v.reached_first_frame) {
        v.reached_first_frame = true;
        v.startup_ms = e.startup_ms;
        v.startup_score = round(startupScore(e.startup_ms), 4);
        v.ebvs = false;
      }
      break;
    case "playback.rebuffer_start":
      // A stall numbered after the last event of an ended view came after its end: none.
      if (v.reached_first_frame && (r.status === "active" || e.seq < r.last_seq)) {
        v.rebuffer_count++;
        v.rebuffer_frequency = round(rebufferFrequency(v.rebuffer_count, v.playing_ms), 6);
        v.smoothness_score = round(smoothnessScore(v.rebuffer_count, rebufferRatio(v.rebuffer_ms, v.playing_ms)), 4);
      }
      break;
    case "playback.seek_start":
      v.seek_count++;
      break;
    case "playback.seek_end":
      v.seek_latency_ms += e.latency_ms;
      break;
    case "playback.heartbeat":
    case "playback.view_end":
      v.dropped_frames = Math.max(v.dropped_frames, e.stats.dropped_frames ?? 0);
      break;
    case "playback.rendition_switch":
      if (e.direction === "up") v.switches_up++;
      if (e.direction === "down") v.switches_down++;
      if (e.direction !== "initial") v.rendition_switches++;
      break;
    case "playback.error":
      if (e.error.severity === "fatal") {
        v.fatal_error_code ??= e.error.code;
        if (!v.reached_first_frame) v.startup_failure = true;
        v.playback_failure = true;
        v.ebvs = false;
      } else if (e.error.severity === "business") {
        v.business_errors++;
        v.ebvs = false;
      } else v.non_fatal_errors++;
      break;
    case "playback.milestone":
      v.max_milestone = Math.max(v.max_milestone, e.percent);
      break;
    case "playback.request":
      v.requests++;
      if (e.request.failed) v.request_failures++;
      break;
    default:
      break;
  }
  v.playback_success_score = playbackSuccessScore(v.playback_failure, v.ebvs);
  return v;
}
