import { type Static, Type } from "@sinclair/typebox";
import { Bps, Bytes, Count, Id, Ms, Obj, ShortText, Timestamp } from "../common.ts";
import { defineEvent } from "../envelope.ts";

/** How many edge locations a view's delivery names at the most (the rest are counted, not named). */
export const MAX_VIEW_POPS = 16;

/**
 * What the CDN saw of one view so far, from its `cdn` requests carrying the view's CMCD session
 * id: running totals, so the newest summary of a view replaces the ones before it and a
 * duplicate or an older one arriving late changes nothing.
 */
export const Delivery = Obj({
  requests: Count("CDN requests of the view so far (each counted once, by event id)"),
  cache_hits: Count("requests the edge served from its cache (Hit, RefreshHit)"),
  errors: Count("requests that ended in an error (HTTP status 400 and above, or the CDN's Error result)"),
  bytes: Bytes("bytes the edge sent to the viewer"),
  ttfb_p50_ms: Type.Optional(Ms("median time to first byte at the edge (within 1 %)")),
  throughput_p50_bps: Type.Optional(Bps("median per-request throughput: bytes x 8 / total time (within 1 %)")),
  pops: Type.Array(ShortText({ description: "an edge location (CloudFront x-edge-location)" }), {
    maxItems: MAX_VIEW_POPS,
    description: "edge locations that served the view, most requests first",
  }),
  first_request_at: Timestamp,
  last_request_at: Timestamp,
});
export type Delivery = Static<typeof Delivery>;

/**
 * The `playback.delivery` event: made by reeltime's delivery processor from CDN logs, never by a
 * player (the public write API refuses it). It joins the view of its id and never starts one.
 */
export const deliveryEvent = defineEvent("playback.delivery", "the CDN's view of one view so far (server-made)", {
  session_id: Id,
  view_id: Id,
  delivery: Delivery,
});
