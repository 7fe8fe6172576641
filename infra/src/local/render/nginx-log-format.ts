/**
 * CloudFront real-time log fields in AWS's canonical order (the subset that existed in 2023 plus
 * origin-fbl/origin-lbl; fields added later, such as s-ip and the cmcd-* ones, sit between these
 * without changing their relative order). A real-time log record always carries its configured
 * fields in this order, whatever order they were configured in.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
 *
 * TODO(issue 21): replace with the canonical field list exported by the CloudFront log parser
 * (engineer A's library) once it lands, so the edge's log format and the parser share one list.
 */
export const CLOUDFRONT_REALTIME_ORDER = [
  "timestamp",
  "c-ip",
  "time-to-first-byte",
  "sc-status",
  "sc-bytes",
  "cs-method",
  "cs-protocol",
  "cs-host",
  "cs-uri-stem",
  "cs-bytes",
  "x-edge-location",
  "x-edge-request-id",
  "x-host-header",
  "time-taken",
  "cs-protocol-version",
  "c-ip-version",
  "cs-user-agent",
  "cs-referer",
  "cs-cookie",
  "cs-uri-query",
  "x-edge-response-result-type",
  "x-forwarded-for",
  "ssl-protocol",
  "ssl-cipher",
  "x-edge-result-type",
  "fle-encrypted-fields",
  "fle-status",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
  "c-port",
  "x-edge-detailed-result-type",
  "c-country",
  "cs-accept-encoding",
  "cs-accept",
  "cache-behavior-path-pattern",
  "cs-headers",
  "cs-header-names",
  "cs-headers-count",
  "origin-fbl",
  "origin-lbl",
  "asn",
] as const;
export type CloudFrontRealtimeField = (typeof CLOUDFRONT_REALTIME_ORDER)[number];

/**
 * What nginx writes for each CloudFront field the local edge logs. `$cf_*` are maps of the
 * rendered nginx.conf. nginx writes `-` for an empty value, as CloudFront does.
 */
const NGINX_VALUES: Partial<Record<CloudFrontRealtimeField, string>> = {
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
};

/** One field of the edge's access log: its CloudFront name and the nginx value written for it. */
export interface EdgeLogField {
  name: CloudFrontRealtimeField;
  nginx: string;
}

/**
 * The fields of the local edge's access log, in canonical order: what a consumer of its
 * Kinesis stream is configured with (the real-time log config's field list).
 */
export const EDGE_LOG_FIELDS: readonly EdgeLogField[] = CLOUDFRONT_REALTIME_ORDER.flatMap((name) => {
  const nginx = NGINX_VALUES[name];
  return nginx === undefined ? [] : [{ name, nginx }];
});

/** The names of EDGE_LOG_FIELDS, in order. */
export const EDGE_LOG_FIELD_NAMES: readonly CloudFrontRealtimeField[] = EDGE_LOG_FIELDS.map((f) => f.name);

/**
 * The nginx `log_format` line: the fields tab-separated, one request a line. `escape=default`
 * writes `"`, `\` and control characters (a tab in a User-Agent) as `\xHH`, so a value never
 * splits a record.
 */
export function renderLogFormat(name: string, fields: readonly EdgeLogField[] = EDGE_LOG_FIELDS): string {
  return `log_format ${name} escape=default '${fields.map((f) => f.nginx).join("\\t")}';`;
}
