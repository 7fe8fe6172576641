import type { Archive, Bus } from "@reeltime/connectors";
import { SCHEMA_VERSION, TOPICS } from "@reeltime/events";
import type { ProcessorMetrics } from "@reeltime/processing";
import { KeyedFold } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import { type CdnEvent, type DeliveryEvent, type DeliveryState, deliveryFolder, keyOfRequest } from "./folder.ts";

/** A view's delivery leaves memory two hours after its last request (then it is saved for late lines). */
export const DELIVERY_TIMEOUT_MS = 2 * 60 * 60 * 1000;
const GROUP = "reeltime-delivery";
const encoder = new TextEncoder();

/**
 * CDN requests (`reeltime.cdn`, keyed by the CMCD session id) → one running `playback.delivery`
 * summary per view, published on the playback topic under the view's key. The sessionizer
 * folds it into the view like any of the view's events (same topic, same key: the same
 * partition and consumer), so no join across topics is needed and every store of views gets
 * the delivery fields. Requests without a session id are not a view's: skipped here (they stay
 * in the `cdn` table).
 */
export function createDeliveryProcessor(
  deps: { archive: Archive; bus: Bus; log: Logger; metrics: ProcessorMetrics },
  opts: { timeoutMs?: number; snapshotEveryMs?: number; graceMs?: number } = {},
): KeyedFold<CdnEvent, DeliveryEvent & { final?: boolean }, DeliveryState> {
  return new KeyedFold<CdnEvent, DeliveryEvent & { final?: boolean }, DeliveryState>(
    {
      name: "delivery",
      group: GROUP,
      topic: TOPICS.cdn,
      // A request without a session id gets the NO_VIEW key, which never starts a state.
      keyOf: (e) => (e.cdn && typeof e.cdn === "object" ? keyOfRequest(e) : undefined),
      folder: deliveryFolder({ archive: deps.archive, group: GROUP }),
      isFinal: (r) => r.final === true,
      async upsert(records) {
        const messages = records.map(({ final: _final, ...event }) => ({
          key: event.view_id,
          value: encoder.encode(JSON.stringify(event)),
          headers: { schema_version: SCHEMA_VERSION, "content-type": "application/json" },
        }));
        // The view's own key on the playback topic (routeOf's for playback events).
        if (messages.length > 0) await deps.bus.publish(TOPICS.playback, messages);
      },
      timeoutMs: opts.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      ...(opts.snapshotEveryMs !== undefined ? { snapshotEveryMs: opts.snapshotEveryMs } : {}),
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    },
    deps,
  );
}
