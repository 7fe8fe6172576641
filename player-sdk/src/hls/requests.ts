import type { RequestInfo } from "../contract.ts";

/** The part of hls.js `LoaderStats` the SDK reads. */
export interface StatsLike {
  loaded: number;
  retry: number;
  aborted?: boolean;
  loading: { start: number; first: number; end: number };
}

/**
 * Request timing from hls.js load stats: time to first byte = first − start,
 * download = end − first, throughput = bytes × 8 ÷ download time (at least 1 ms).
 */
export function requestOf(
  kind: RequestInfo["kind"],
  stats: StatsLike,
  extra: { url?: string; rendition_id?: string; failed?: boolean; status?: number } = {},
): RequestInfo {
  const { start, first, end } = stats.loading;
  const ttfb = first > 0 && start > 0 ? Math.max(0, first - start) : undefined;
  const download = end > 0 && first > 0 ? Math.max(0, end - first) : undefined;
  const bytes = Math.max(0, Math.round(stats.loaded) || 0);
  return {
    kind,
    failed: extra.failed ?? false,
    ...(extra.url ? { url: extra.url.slice(0, 2048) } : {}),
    ...(extra.status !== undefined ? { status: extra.status } : {}),
    ...(ttfb !== undefined ? { ttfb_ms: Math.round(ttfb) } : {}),
    ...(download !== undefined ? { download_ms: Math.round(download) } : {}),
    bytes,
    ...(download !== undefined && bytes > 0
      ? { throughput_bps: Math.min(10_000_000_000, Math.round((bytes * 8 * 1000) / Math.max(1, download))) }
      : {}),
    retries: Math.max(0, stats.retry || 0),
    ...(extra.rendition_id ? { rendition_id: extra.rendition_id } : {}),
  };
}
