/**
 * Every CloudFront real-time log field, in the one order CloudFront writes them. A real-time
 * log configuration chooses a subset (up to 40 fields in the 2023 text of the page); whatever
 * order the subset was given in, each record carries its fields in this order, tab-separated,
 * without a header. Fields added later by AWS were inserted at their documented positions
 * (s-ip third, the distribution and CMCD fields after cs-headers-count and asn), so this list
 * is the whole of it, not an append log.
 *
 * Sources: the AWS CloudFront Developer Guide, "Real-time logs", section Fields
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html;
 * 43 fields in its 2023 text, awsdocs/amazon-cloudfront-developer-guide doc_source/real-time-logs.md),
 * the CMCD fields announced on 2024-04-09
 * (https://aws.amazon.com/about-aws/whats-new/2024/04/amazon-cloudfront-cmcd-fields-real-time-logs/),
 * and the 69 positions as third-party tooling mirrors the current page (see test/fixtures/README.md).
 */
export const CLOUDFRONT_REALTIME_FIELDS = [
  "timestamp",
  "c-ip",
  "s-ip",
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
  "primary-distribution-id",
  "primary-distribution-dns-name",
  "origin-fbl",
  "origin-lbl",
  "asn",
  "cmcd-encoded-bitrate",
  "cmcd-buffer-length",
  "cmcd-buffer-starvation",
  "cmcd-content-id",
  "cmcd-object-duration",
  "cmcd-deadline",
  "cmcd-measured-throughput",
  "cmcd-next-object-request",
  "cmcd-next-range-request",
  "cmcd-object-type",
  "cmcd-playback-rate",
  "cmcd-requested-maximum-throughput",
  "cmcd-streaming-format",
  "cmcd-session-id",
  "cmcd-stream-type",
  "cmcd-startup",
  "cmcd-top-bitrate",
  "cmcd-version",
  "r-host",
  "sr-reason",
  "x-edge-mqcs",
  "distribution-tenant-id",
  "connection-id",
] as const;
export type RealtimeField = (typeof CLOUDFRONT_REALTIME_FIELDS)[number];

/**
 * The CMCD fields of real-time logs and the CMCD (CTA-5004) key each one carries; CloudFront
 * fills them from the request's `CMCD=` query or its CMCD-* headers.
 */
export const REALTIME_CMCD_KEYS = {
  "cmcd-encoded-bitrate": "br",
  "cmcd-buffer-length": "bl",
  "cmcd-buffer-starvation": "bs",
  "cmcd-content-id": "cid",
  "cmcd-object-duration": "d",
  "cmcd-deadline": "dl",
  "cmcd-measured-throughput": "mtp",
  "cmcd-next-object-request": "nor",
  "cmcd-next-range-request": "nrr",
  "cmcd-object-type": "ot",
  "cmcd-playback-rate": "pr",
  "cmcd-requested-maximum-throughput": "rtp",
  "cmcd-streaming-format": "sf",
  "cmcd-session-id": "sid",
  "cmcd-stream-type": "st",
  "cmcd-startup": "su",
  "cmcd-top-bitrate": "tb",
  "cmcd-version": "v",
} as const satisfies Partial<Record<RealtimeField, string>>;

const POSITION = new Map<string, number>(CLOUDFRONT_REALTIME_FIELDS.map((f, i) => [f, i]));

export function isRealtimeField(name: string): name is RealtimeField {
  return POSITION.has(name);
}

/**
 * A configured field set in the order its records carry it (the canonical order). Throws a
 * RangeError naming a field CloudFront does not know or one given twice.
 */
export function realtimeFieldOrder(fields: readonly string[]): RealtimeField[] {
  const seen = new Set<string>();
  for (const f of fields) {
    if (!isRealtimeField(f))
      throw new RangeError(`"${f}" is not a CloudFront real-time log field (see CLOUDFRONT_REALTIME_FIELDS)`);
    if (seen.has(f)) throw new RangeError(`real-time log field "${f}" is listed twice`);
    seen.add(f);
  }
  return [...(fields as RealtimeField[])].sort((a, b) => POSITION.get(a)! - POSITION.get(b)!);
}
