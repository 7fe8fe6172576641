import type { CMCDControllerConfig } from "hls.js";

type CmcdEvents = NonNullable<NonNullable<CMCDControllerConfig["eventTargets"]>[number]["events"]>;

/** Options of the CMCD v2 helper. */
export interface CmcdOptions {
  /**
   * The tracker (or its endpoint and write key). CMCD's session id (`sid`) is not the tracker's
   * session: the hls plugin sets it to the id of the view each loaded source plays.
   */
  tracker: { endpoint: string; writeKey: string };
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
 * with the write key as query parameter `key`. Opt-in: spread it into `new Hls({ ...cmcdConfig(...) })`
 * and attach the hls instance with the hls plugin, which makes each report's `sid` the view id.
 */
export function cmcdConfig(o: CmcdOptions): { cmcd: CMCDControllerConfig } {
  const { endpoint, writeKey } = o.tracker;
  return {
    cmcd: {
      version: 2 as const,
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
