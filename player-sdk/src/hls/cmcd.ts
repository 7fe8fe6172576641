import type { CMCDControllerConfig } from "hls.js";

type CmcdEvents = NonNullable<NonNullable<CMCDControllerConfig["eventTargets"]>[number]["events"]>;

/** Options of the CMCD v2 helper. */
export interface CmcdOptions {
  /** The tracker (or its endpoint, write key and session id): reports join views by session id. */
  tracker: { endpoint: string; writeKey: string; sessionId: string };
  /** Content id (`cid`), usually the video id. */
  contentId?: string;
  /** CMCD event types to report (`ps` play state, `e` error, `bc` bitrate change, `t` time interval...). */
  events?: CmcdEvents;
  /** Seconds between time-interval (`t`) reports. */
  interval?: number;
  /** Reports batched per POST. */
  batchSize?: number;
}

/**
 * hls.js config (≥ 1.7) that posts CMCD v2 event reports to the ingest API's `/v1/cmcd`,
 * with the write key as query parameter `key`. Opt-in: spread it into `new Hls({ ...cmcdConfig(...) })`.
 */
export function cmcdConfig(o: CmcdOptions): { cmcd: CMCDControllerConfig } {
  const { endpoint, writeKey, sessionId } = o.tracker;
  return {
    cmcd: {
      version: 2 as const,
      sessionId,
      ...(o.contentId ? { contentId: o.contentId } : {}),
      eventTargets: [
        {
          url: `${endpoint.replace(/\/+$/, "")}/v1/cmcd?key=${encodeURIComponent(writeKey)}`,
          events: o.events ?? (["ps", "e", "bc", "t"] as CmcdEvents),
          interval: o.interval ?? 30,
          batchSize: o.batchSize ?? 4,
        },
      ],
    },
  };
}
