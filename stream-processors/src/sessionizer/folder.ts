import type { SearchStore } from "@reeltime/connectors";
import type { ViewRecord } from "@reeltime/events";
import type { Folder } from "@reeltime/processing";
import type { ViewInput } from "./accumulator.ts";
import { loadView, saveView } from "./saved-state.ts";
import {
  addEvent,
  isCmcd,
  isDelivery,
  isView,
  newViewState,
  REORDER_DEFAULTS,
  type ReorderWindow,
  settle,
  type ViewState,
  viewRecord,
} from "./view-state.ts";

/** Views recalled from the store at once at most (one GET each). */
const RECALL_CONCURRENCY = 32;

/**
 * How the sessionizer folds a view: into compact per-view state (view-state.ts), never
 * keeping raw events beyond the reorder window. A view is started by an SDK event only; a CMCD
 * report joins the view of its id when there is one. A view that left memory is recalled from
 * its stored record, which late events then update.
 */
export function viewFolder(
  deps: { search?: Pick<SearchStore, "getView"> },
  window: ReorderWindow = REORDER_DEFAULTS,
): Folder<ViewInput, ViewState, ViewRecord> {
  const getView = deps.search ? deps.search.getView.bind(deps.search) : undefined;
  return {
    // CMCD reports never start a key. The CDN's totals start one that waits for the view's first
    // SDK event (the edge's log can reach the bus first) and has no record until then; a key
    // that only ever had totals (a session id no reeltime view sent) times out without a record.
    start: (e) => (isCmcd(e) ? undefined : newViewState()),
    // The CDN's totals of a view come up to a day late (standard logs): they bring back the
    // finished view from its stored record. CMCD reports do not (most name no reeltime view).
    bringsBack: isDelivery,
    add: (s, e, now) => addEvent(s, e, now, window),
    settle: (s, now) => settle(s, now, window),
    result: (s, opts) => (isView(s) ? viewRecord(s, opts) : undefined),
    ...(getView
      ? {
          async recall(keys: string[]) {
            const out = new Map<string, ViewState>();
            for (let i = 0; i < keys.length; i += RECALL_CONCURRENCY)
              await Promise.all(
                keys.slice(i, i + RECALL_CONCURRENCY).map(async (k) => {
                  const record = await getView(k);
                  // A record still active was never checkpointed (a crash before its first
                  // checkpoint): its events come again and rebuild it.
                  if (record?.status === "ended") out.set(k, newViewState(record));
                }),
              );
            return out;
          },
        }
      : {}),
    save: saveView,
    load: loadView,
  };
}
