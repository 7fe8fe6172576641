import { Type } from "@sinclair/typebox";
import { Bytes, Keyword, LongText, Ms, Obj, ShortText } from "../common.ts";
import { defineEvent } from "../envelope.ts";
import { Cmcd } from "./cmcd.ts";

/** Where a CDN request record came from. */
export const CDN_SOURCES = ["cloudfront-standard", "cloudfront-realtime", "nginx"] as const;

/**
 * CloudFront's result types (`x-edge-result-type`, `x-edge-response-result-type`), as its
 * standard and real-time log references list them; the local edge maps nginx's cache status
 * onto the same words.
 */
export const CDN_CACHE_RESULTS = [
  "Hit",
  "RefreshHit",
  "OriginShieldHit",
  "Miss",
  "LimitExceeded",
  "CapacityExceeded",
  "Error",
  "Redirect",
] as const;

/** What the CDN logged about one request, as CloudFront names it in its logs. */
export const CdnRequest = Obj({
  source: Keyword(CDN_SOURCES, "the log format the request came from"),
  pop: Type.Optional(ShortText({ description: "the edge location (x-edge-location), e.g. SEA19-C1" })),
  request_id: Type.Optional(ShortText({ description: "the CDN's request id (x-edge-request-id)" })),
  host: Type.Optional(ShortText({ description: "the Host header the viewer sent (cs-host / cs(Host))" })),
  method: Type.Optional(Type.String({ maxLength: 16 })),
  uri: LongText({ description: "the path requested (cs-uri-stem), URL-decoded, without the query" }),
  query_present: Type.Optional(Type.Boolean({ description: "the request had a query string (not stored)" })),
  status: Type.Integer({
    minimum: 0,
    maximum: 999,
    description: "the HTTP status; 0 when the viewer closed the connection before the response",
  }),
  bytes: Type.Optional(Bytes("bytes sent to the viewer, headers included (sc-bytes)")),
  request_bytes: Type.Optional(Bytes("bytes of the request, headers included (cs-bytes)")),
  ttfb_ms: Type.Optional(Ms("request received to first response byte written, on the server")),
  total_ms: Type.Optional(Ms("request received to last byte written to the output queue (time-taken)")),
  cache_result: Type.Optional(Keyword(CDN_CACHE_RESULTS, "x-edge-result-type: how the request ended")),
  response_result: Type.Optional(
    Keyword(CDN_CACHE_RESULTS, "x-edge-response-result-type: how it looked before the response was sent"),
  ),
  detailed_result: Type.Optional(
    ShortText({ description: "x-edge-detailed-result-type, e.g. OriginShieldHit, ClientHungUpRequest" }),
  ),
  protocol: Type.Optional(Type.String({ maxLength: 16, description: "http, https, ws or wss" })),
  protocol_version: Type.Optional(Type.String({ maxLength: 16, description: "e.g. HTTP/1.1, HTTP/2.0" })),
  range_start: Type.Optional(Bytes("first byte of a Content-Range response")),
  range_end: Type.Optional(Bytes("last byte of a Content-Range response")),
  content_type: Type.Optional(ShortText()),
  content_length: Type.Optional(Bytes("the response's Content-Length header")),
  sid: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "CMCD session id: the player's view (joins views)" }),
  ),
  cid: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "CMCD content id" })),
  log_file: Type.Optional(LongText({ description: "the log file (s3://bucket/key or a path); unset for streams" })),
  line: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: "line of the log file, from 1" }),
  ),
});

export const CdnEvents = {
  /** One request a CDN edge served, read from its access logs (never sent by a client). */
  "cdn.request": defineEvent("cdn.request", "one request a CDN edge served, from its logs", {
    cdn: CdnRequest,
    cmcd: Type.Optional(Cmcd),
  }),
} as const;
