import type { Delivery, ViewRecord } from "@reeltime/events";
import {
  cloneAcc,
  type DeliveryInput,
  finishView,
  foldEvent,
  foldLate,
  newAcc,
  type ViewAcc,
  type ViewEvent,
  type ViewInput,
} from "./accumulator.ts";
import { lateOnRecord } from "./late-record.ts";
import { addSeq, hasSeq, maxSeq, type SeqRanges } from "./seq-ranges.ts";

/** How far out of order events may arrive and still be placed exactly on the view's timeline. */
export interface ReorderWindow {
  /** Events held back behind a missing `seq` at most (default 64). */
  maxHeld: number;
  /** How long held-back events wait for the missing ones, wall-clock ms (default 2 min). */
  maxWaitMs: number;
}

export const REORDER_DEFAULTS: ReorderWindow = { maxHeld: 64, maxWaitMs: 120_000 };

/**
 * One view in the sessionizer: its folded accumulator, the events held back until the `seq`s
 * before them arrive (bounded by the reorder window), the `seq`s folded (for duplicates), and
 * the CMCD reports joined. A plain JSON value (checkpoints store it as it is).
 */
export interface ViewState {
  /** Undefined until the first event is folded. */
  acc?: ViewAcc;
  /** Held-back events in order (seq, device time, id); absent when none. */
  held?: ViewEvent[];
  /** Wall-clock ms since the first held-back event waits. */
  heldSince?: number;
  seqs: SeqRanges;
  /** Joined CMCD reports: their numbers (`sn`) as ranges; the last few ids of reports without one. */
  cmcd?: { n: number; updated: number; seqs: SeqRanges; ids: string[] };
  /**
   * The stored record of a view that had left memory (final, past its grace period): events
   * arriving now update it by monotonic rules, never rebuild it from themselves.
   */
  record?: ViewRecord;
  /**
   * The newest CDN totals of the view (`playback.delivery`, running totals: the one with the
   * most requests wins, so duplicates and late older ones change nothing), with their app.
   */
  delivery?: { app?: string; d: Delivery; at: string };
  /**
   * CDN totals that came before the view's first SDK event (the edge's log can reach the bus
   * before the player's first flush): kept per app, a few apps at most, until the view's app is
   * known; then the view's own app's totals join as above. A key with only these has no record.
   */
  waiting?: { app?: string; d: Delivery; at: string }[];
}

/** Apps whose totals wait for one view at most (a CDN log line names a view by a copyable id). */
const MAX_WAITING_APPS = 4;

export const isCmcd = (e: ViewInput): boolean => e.event_type === "playback.cmcd";
export const isDelivery = (e: ViewInput): e is DeliveryInput => e.event_type === "playback.delivery";

/** The view's app once an SDK event says it (folded, held back, or the stored record's). */
const viewAppOf = (s: ViewState): string | undefined => s.record?.app_id ?? s.acc?.ctx.app_id ?? s.held?.[0]?.app_id;

/** Whether the key is a view yet: an SDK event or a stored record, not only CDN totals. */
export const isView = (s: ViewState): boolean => s.record !== undefined || s.acc !== undefined || s.held !== undefined;

const more = (d: Delivery, cur: { requests: number; bytes: number } | undefined) =>
  !cur || d.requests > cur.requests || (d.requests === cur.requests && d.bytes > cur.bytes);

/** Totals for a key that is no view yet wait, per app (the most requests win within an app). */
function waitDelivery(s: ViewState, e: DeliveryInput): boolean {
  const entry = { ...(e.app_id !== undefined ? { app: e.app_id } : {}), d: e.delivery, at: e.client_ts };
  s.waiting ??= [];
  const i = s.waiting.findIndex((w) => w.app === e.app_id);
  if (i < 0) {
    if (s.waiting.length >= MAX_WAITING_APPS) return false;
    s.waiting.push(entry);
    return true;
  }
  if (!more(e.delivery, s.waiting[i]!.d)) return false;
  s.waiting[i] = entry;
  return true;
}

/** Once the view's app is known, the waiting totals join it (other apps' are left out). */
function joinWaiting(s: ViewState): void {
  if (!s.waiting || viewAppOf(s) === undefined) return;
  const waiting = s.waiting;
  delete s.waiting;
  for (const w of waiting)
    joinDelivery(s, {
      event_type: "playback.delivery",
      ...(w.app !== undefined ? { app_id: w.app } : {}),
      delivery: w.d,
      client_ts: w.at,
    } as DeliveryInput);
}

/** Keeps the CDN totals with the most requests (then bytes); false when they add nothing. */
function joinDelivery(s: ViewState, e: DeliveryInput): boolean {
  if (!isView(s)) return waitDelivery(s, e);
  joinWaiting(s);
  // Totals made for another app's view never replace the view's own.
  const viewApp = viewAppOf(s);
  if (viewApp !== undefined && e.app_id !== undefined && e.app_id !== viewApp) return false;
  const d = e.delivery;
  const cur = s.record ? recordDelivery(s.record) : s.delivery?.d;
  if (!more(d, cur)) return false;
  s.delivery = { ...(e.app_id !== undefined ? { app: e.app_id } : {}), d, at: e.client_ts };
  if (s.record) s.record = withDelivery(s.record, s.delivery);
  return true;
}

function recordDelivery(r: ViewRecord): { requests: number; bytes: number } | undefined {
  return r.cdn_requests === undefined ? undefined : { requests: r.cdn_requests, bytes: r.cdn_bytes ?? 0 };
}

/**
 * The record with the view's CDN figures. Totals made for another app's view are left out: a
 * CDN log line names a view by the session id the player sent, which a tenant could copy.
 */
export function withDelivery(r: ViewRecord, delivery: ViewState["delivery"]): ViewRecord {
  if (!delivery || (delivery.app !== undefined && r.app_id !== undefined && delivery.app !== r.app_id)) return r;
  const d = delivery.d;
  const out: ViewRecord = {
    ...r,
    cdn_requests: d.requests,
    cdn_cache_hits: d.cache_hits,
    cdn_cache_hit_ratio: d.requests > 0 ? Math.round((d.cache_hits / d.requests) * 10_000) / 10_000 : 0,
    cdn_errors: d.errors,
    cdn_bytes: d.bytes,
    cdn_pops: d.pops,
  };
  if (d.ttfb_p50_ms !== undefined) out.cdn_ttfb_p50_ms = d.ttfb_p50_ms;
  if (d.throughput_p50_bps !== undefined) out.cdn_throughput_p50_bps = d.throughput_p50_bps;
  // The record changed when the totals were made: a reader keeping a view's newest record
  // (latest updated_at among the same number of events) keeps this one.
  if (Date.parse(delivery.at) > Date.parse(r.updated_at))
    out.updated_at = new Date(Date.parse(delivery.at)).toISOString();
  return out;
}

const order = (a: ViewEvent, b: ViewEvent) =>
  a.seq - b.seq || Date.parse(a.client_ts) - Date.parse(b.client_ts) || a.event_id.localeCompare(b.event_id);

export function newViewState(record?: ViewRecord): ViewState {
  return record ? { seqs: [], record } : { seqs: [] };
}

/** Joins a CMCD report to the view; false for a duplicate. */
function joinCmcd(s: ViewState, e: ViewEvent): boolean {
  s.cmcd ??= { n: 0, updated: 0, seqs: [], ids: [] };
  const c = s.cmcd;
  const sn = (e as { cmcd?: Record<string, unknown> }).cmcd?.sn;
  if (typeof sn === "number" && Number.isInteger(sn)) {
    if (!addSeq(c.seqs, sn)) return false;
  } else {
    if (c.ids.includes(e.event_id)) return false;
    c.ids.push(e.event_id);
    if (c.ids.length > 16) c.ids.shift();
  }
  if (s.record) {
    s.record = lateOnRecord(s.record, e, { duplicateBelowLastSeq: false });
    return true;
  }
  c.n++;
  c.updated = Math.max(c.updated, Date.parse(e.received_at ?? e.client_ts));
  return true;
}

function fold(s: ViewState, e: ViewEvent): void {
  s.acc ??= newAcc(e);
  foldEvent(s.acc, e);
  addSeq(s.seqs, e.seq);
}

/** Folds held-back events that are next in line, or all of them when the window ran out. */
function release(s: ViewState, now: number, w: ReorderWindow, all = false): void {
  const held = s.held;
  if (!held) return;
  while (held.length > 0) {
    const head = held[0]!;
    const next = head.seq <= maxSeq(s.seqs) + 1;
    const overdue = all || held.length > w.maxHeld || now - (s.heldSince ?? now) >= w.maxWaitMs;
    if (!next && !overdue) break;
    held.shift();
    fold(s, head);
  }
  if (held.length === 0) {
    delete s.held;
    delete s.heldSince;
  }
}

/**
 * Adds one event to a view. SDK events are folded in `seq` order: one that comes before its
 * predecessors waits (within the reorder window); one whose place was already folded past
 * counts by the late rules (accumulator.ts: foldLate). Returns false for a duplicate.
 */
export function addEvent(s: ViewState, e: ViewInput, now: number, w: ReorderWindow = REORDER_DEFAULTS): boolean {
  if (isDelivery(e)) return joinDelivery(s, e);
  if (isCmcd(e)) return joinCmcd(s, e);
  if (s.record) {
    const before = s.record;
    s.record = lateOnRecord(s.record, e, { duplicateBelowLastSeq: true });
    return s.record !== before;
  }
  if (hasSeq(s.seqs, e.seq) || s.held?.some((h) => h.event_id === e.event_id)) return false;
  const top = maxSeq(s.seqs);
  if (s.acc && e.seq < top) {
    // Its neighbours were folded without it: the window ran out before it came.
    foldLate(s.acc, e);
    addSeq(s.seqs, e.seq);
    return true;
  }
  if (!s.held && e.seq <= top + 1) {
    fold(s, e); // the usual case: next in line, nothing waiting
    return true;
  }
  s.held ??= [];
  const held = s.held;
  let i = held.length;
  while (i > 0 && order(held[i - 1]!, e) > 0) i--;
  held.splice(i, 0, e);
  s.heldSince ??= now;
  release(s, now, w);
  return true;
}

/** Folds held-back events whose wait ran out; true when something was folded. */
export function settle(s: ViewState, now: number, w: ReorderWindow = REORDER_DEFAULTS): boolean {
  if (!s.held) return false;
  const before = s.held.length;
  release(s, now, w);
  return (s.held?.length ?? 0) !== before;
}

/**
 * The view's record as it stands: folded events plus held-back ones in order (on a copy: they
 * stay held in case the missing ones arrive). `timedOut` folds everything and ends the view.
 */
export function viewRecord(s: ViewState, opts: { timedOut?: boolean } = {}): ViewRecord {
  joinWaiting(s);
  if (s.record) return s.record;
  if (opts.timedOut) release(s, 0, REORDER_DEFAULTS, true);
  let acc = s.acc;
  if (s.held) {
    acc = acc ? cloneAcc(acc) : newAcc(s.held[0]!);
    for (const e of s.held) foldEvent(acc, e);
  }
  if (!acc) throw new Error("a view needs at least one SDK event");
  if (s.cmcd && s.cmcd.n > 0) {
    acc = acc === s.acc ? cloneAcc(acc) : acc;
    acc.events += s.cmcd.n;
    acc.updated = Math.max(acc.updated, s.cmcd.updated);
  }
  return withDelivery(finishView(acc, opts), s.delivery);
}

/** Folds an event known to come next (events already in order: computeView); CMCD reports join. */
export function foldInOrder(s: ViewState, e: ViewInput): void {
  if (isDelivery(e)) joinDelivery(s, e);
  else if (isCmcd(e)) joinCmcd(s, e);
  else fold(s, e);
}
