import type { ViewAcc } from "./accumulator.ts";
import type { ViewState } from "./view-state.ts";

/**
 * The accumulator's fields in a fixed order: a checkpoint stores the values as an array (the
 * field names were about half of each saved view). Append new fields at the end only: a
 * checkpoint written before has fewer values, and the missing ones read as absent.
 */
const ACC_FIELDS = [
  "view_id",
  "session_id",
  "ctx",
  "t0",
  "startSeen",
  "state",
  "beforeSeek",
  "prev",
  "firstFrame",
  "startupMs",
  "startupWait",
  "playing",
  "paused",
  "rebuffering",
  "seeking",
  "rebuffers",
  "seeks",
  "seekLatency",
  "switches",
  "up",
  "down",
  "fatal",
  "startupFailure",
  "fatalCode",
  "nonFatal",
  "business",
  "maxMilestone",
  "requests",
  "requestFailures",
  "ttfbSum",
  "ttfbN",
  "tputSum",
  "tputN",
  "droppedFrames",
  "endReason",
  "endedAt",
  "rendition",
  "display",
  "bitrateMs",
  "bitrateWeighted",
  "upscaleMs",
  "upscaleWeighted",
  "maxUpscale",
  "events",
  "lastTs",
  "lastSeq",
  "updated",
  "sdk",
  "live",
] as const satisfies readonly (keyof ViewAcc)[];

// Every field of ViewAcc is listed (a field added there and not here fails to compile).
type Missing = Exclude<keyof ViewAcc, (typeof ACC_FIELDS)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

type SavedView = Omit<ViewState, "acc"> & { a?: unknown[] };

/** A view's state as a checkpoint stores it: the accumulator as an array of values. */
export function saveView(s: ViewState): SavedView {
  const { acc, ...rest } = s;
  if (!acc) return rest;
  return { ...rest, a: ACC_FIELDS.map((f) => acc[f] ?? null) };
}

export function loadView(saved: unknown): ViewState {
  const { a, ...rest } = saved as SavedView;
  if (!a) return rest as ViewState;
  const acc: Record<string, unknown> = {};
  ACC_FIELDS.forEach((f, i) => {
    const v = a[i];
    if (v !== null && v !== undefined) acc[f] = v;
  });
  return { ...(rest as ViewState), acc: acc as unknown as ViewAcc };
}
