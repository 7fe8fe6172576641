import { internContext, type ViewAcc } from "./accumulator.ts";
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

/**
 * The accumulator's values in the order of ACC_FIELDS, absent ones as null. Written out field by
 * field: mapping over the names read each field by a computed key, which with this many fields
 * cost most of a checkpoint entry's time (the check below keeps the two lists equal).
 */
const accValues = (a: ViewAcc): unknown[] => [
  a.view_id ?? null,
  a.session_id ?? null,
  a.ctx ?? null,
  a.t0 ?? null,
  a.startSeen ?? null,
  a.state ?? null,
  a.beforeSeek ?? null,
  a.prev ?? null,
  a.firstFrame ?? null,
  a.startupMs ?? null,
  a.startupWait ?? null,
  a.playing ?? null,
  a.paused ?? null,
  a.rebuffering ?? null,
  a.seeking ?? null,
  a.rebuffers ?? null,
  a.seeks ?? null,
  a.seekLatency ?? null,
  a.switches ?? null,
  a.up ?? null,
  a.down ?? null,
  a.fatal ?? null,
  a.startupFailure ?? null,
  a.fatalCode ?? null,
  a.nonFatal ?? null,
  a.business ?? null,
  a.maxMilestone ?? null,
  a.requests ?? null,
  a.requestFailures ?? null,
  a.ttfbSum ?? null,
  a.ttfbN ?? null,
  a.tputSum ?? null,
  a.tputN ?? null,
  a.droppedFrames ?? null,
  a.endReason ?? null,
  a.endedAt ?? null,
  a.rendition ?? null,
  a.display ?? null,
  a.bitrateMs ?? null,
  a.bitrateWeighted ?? null,
  a.upscaleMs ?? null,
  a.upscaleWeighted ?? null,
  a.maxUpscale ?? null,
  a.events ?? null,
  a.lastTs ?? null,
  a.lastSeq ?? null,
  a.updated ?? null,
  a.sdk ?? null,
  a.live ?? null,
];

// accValues lists ACC_FIELDS in the same order: each field read back as its own name.
{
  const probe = Object.fromEntries(ACC_FIELDS.map((f) => [f, f])) as unknown as ViewAcc;
  const got = accValues(probe);
  if (got.length !== ACC_FIELDS.length || got.some((v, i) => v !== ACC_FIELDS[i]))
    throw new Error("saved-state: accValues and ACC_FIELDS list different fields");
}

/** A view's state as a checkpoint stores it: the accumulator as an array of values. */
export function saveView(s: ViewState): SavedView {
  const { acc, ...rest } = s;
  // The copy the rest made takes the values too (the same keys in the same order as a spread
  // into a second literal, one object less per entry).
  if (acc) (rest as SavedView).a = accValues(acc);
  return rest;
}

export function loadView(saved: unknown): ViewState {
  const { a, ...rest } = saved as SavedView;
  if (!a) return rest as ViewState;
  const acc: Record<string, unknown> = {};
  ACC_FIELDS.forEach((f, i) => {
    const v = a[i];
    if (v !== null && v !== undefined) acc[f] = v;
  });
  const view = acc as unknown as ViewAcc;
  if (view.ctx && typeof view.ctx.video_id === "string") internContext(view.ctx);
  return { ...(rest as ViewState), acc: view };
}
