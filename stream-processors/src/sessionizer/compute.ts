import type { ViewRecord } from "@reeltime/events";
import { orderBySeq } from "@reeltime/processing";
import type { ViewInput } from "./accumulator.ts";
import { foldInOrder, newViewState, viewRecord } from "./view-state.ts";

export { EBVS_MIN_WAIT_MS, type ViewEvent, type ViewInput } from "./accumulator.ts";

/** Events of one view in the order they happened: by seq, then device time, then id; duplicates dropped. */
export const orderEvents = <E extends ViewInput>(events: E[]): E[] => orderBySeq(events);

/**
 * One view's QoE record from all its events at once (QOE.md): the events in order, folded one by
 * one as the sessionizer does (accumulator.ts). Pure and deterministic: the same events, in any
 * order and with duplicates, give the same record. Durations come from the device timeline
 * between events; startup time is the SDK's own measurement (first advancing frame − play
 * request). CMCD reports count as events of the view; a view needs at least one SDK event.
 */
export function computeView(input: ViewInput[], opts: { timedOut?: boolean } = {}): ViewRecord {
  const events = orderBySeq(input);
  if (events.length === 0) throw new Error("computeView needs at least one event");
  const s = newViewState();
  for (const e of events) foldInOrder(s, e);
  return viewRecord(s, opts);
}
