import type { RealtimeField } from "@reeltime/cdn-logs";

/**
 * What nginx writes for each CloudFront real-time log field the local edge logs. `$cf_*` are
 * maps of the rendered nginx.conf. nginx writes `-` for an empty value, as CloudFront does.
 */
const NGINX_VALUES = {
  // Epoch seconds with milliseconds, taken when the log line is written (the response is done).
  timestamp: "$msec",
  "c-ip": "$remote_addr",
  // nginx knows no client-side first byte: the origin's header time on a miss, 0.000 on a hit.
  "time-to-first-byte": "$cf_ttfb",
  "sc-status": "$status",
  "sc-bytes": "$bytes_sent",
  "cs-method": "$request_method",
  "cs-protocol": "$scheme",
  "cs-host": "$host",
  // The request's path as sent (still URL-encoded), without the query.
  "cs-uri-stem": "$cf_uri_stem",
  "cs-bytes": "$request_length",
  "x-edge-location": "$cf_location",
  "x-edge-request-id": "$request_id",
  "x-host-header": "$http_host",
  // From nginx's wall clock, while the origin times come from its monotonic clock: each is cut to
  // whole milliseconds, so time-taken can read 1 ms under time-to-first-byte on a fast miss.
  "time-taken": "$request_time",
  "cs-protocol-version": "$server_protocol",
  "c-ip-version": "$cf_ip_version",
  "cs-user-agent": "$http_user_agent",
  "cs-referer": "$http_referer",
  "cs-uri-query": "$args",
  "x-edge-response-result-type": "$cf_result",
  "x-edge-result-type": "$cf_result",
  "sc-content-type": "$sent_http_content_type",
  "sc-content-len": "$sent_http_content_length",
  "sc-range-start": "$cf_range_start",
  "sc-range-end": "$cf_range_end",
  "c-port": "$remote_port",
  "x-edge-detailed-result-type": "$cf_result",
  "cs-accept-encoding": "$http_accept_encoding",
  "cs-accept": "$http_accept",
  "origin-fbl": "$upstream_header_time",
  "origin-lbl": "$upstream_response_time",
} as const satisfies Partial<Record<RealtimeField, string>>;

/** A field the local edge logs. */
export type EdgeLogFieldName = keyof typeof NGINX_VALUES;

/**
 * The CloudFront real-time log fields the local edge's access log carries: the field list of
 * its "real-time log configuration", which a consumer of `reeltime.cdn.realtime` is given
 * (`reeltime cdn consume --fields`); records carry them in canonical order.
 */
export const EDGE_LOG_FIELD_NAMES = Object.keys(NGINX_VALUES) as EdgeLogFieldName[];

/** One field of the edge's access log: its CloudFront name and the nginx value written for it. */
export interface EdgeLogField {
  name: EdgeLogFieldName;
  nginx: string;
}

/**
 * The edge's fields in the order CloudFront writes them, given the canonical field list
 * (`CLOUDFRONT_REALTIME_FIELDS` of @reeltime/cdn-logs, whose parser reads these lines): a
 * real-time log record always carries its configured fields in that order.
 */
export function edgeLogFields(canonical: readonly string[]): EdgeLogField[] {
  return canonical.flatMap((name) =>
    Object.hasOwn(NGINX_VALUES, name)
      ? [{ name: name as EdgeLogFieldName, nginx: NGINX_VALUES[name as EdgeLogFieldName] }]
      : [],
  );
}

/**
 * The nginx `log_format` line: the fields tab-separated, one request a line. `escape=default`
 * writes `"`, `\` and control characters (a tab in a User-Agent) as `\xHH`, so a value never
 * splits a record.
 */
export function renderLogFormat(name: string, fields: readonly EdgeLogField[]): string {
  return `log_format ${name} escape=default '${fields.map((f) => f.nginx).join("\\t")}';`;
}
