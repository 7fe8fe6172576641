import type { Archive, Bus, SearchStore } from "@reeltime/connectors";
import { TOPICS, type ViewRecord } from "@reeltime/events";
import type { ProcessorMetrics } from "@reeltime/processing";
import { KeyedFold } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import type { ViewInput } from "./accumulator.ts";
import { viewFolder } from "./folder.ts";
import type { ViewState } from "./view-state.ts";

/** A view ends one hour after its last event (the SDK heartbeats every 30 s while it lives). */
export const VIEW_TIMEOUT_MS = 60 * 60 * 1000;

/** Playback events → one `views` record per view_id, updated as events arrive, final on end or timeout. */
export function createSessionizer(
  deps: { search: SearchStore; archive: Archive; bus: Bus; log: Logger; metrics: ProcessorMetrics },
  opts: { timeoutMs?: number; snapshotEveryMs?: number; graceMs?: number } = {},
): KeyedFold<ViewInput, ViewRecord, ViewState> {
  return new KeyedFold<ViewInput, ViewRecord, ViewState>(
    {
      name: "sessionizer",
      group: "reeltime-sessionizer",
      topic: TOPICS.playback,
      keyOf: (e) => (typeof e.view_id === "string" ? e.view_id : undefined),
      folder: viewFolder({ search: deps.search }),
      isFinal: (r) => r.status === "ended",
      upsert: (records) => deps.search.upsertViews(records),
      timeoutMs: opts.timeoutMs ?? VIEW_TIMEOUT_MS,
      ...(opts.snapshotEveryMs !== undefined ? { snapshotEveryMs: opts.snapshotEveryMs } : {}),
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    },
    deps,
  );
}
