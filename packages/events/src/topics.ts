/** The event families of the contract; each has its own topic/stream, index and Parquet table. */
export const FAMILIES = ["playback", "click", "job", "api", "upload", "notification", "cdn"] as const;
export type Family = (typeof FAMILIES)[number];
/**
 * The families a client may send through the public write API (the player SDK's). Jobs, API
 * records, uploads and notifications are made by reeltime's own services: a write key (which
 * ships in web pages) must not be able to mark a video ready or forge an upload.
 */
export const CLIENT_FAMILIES: readonly Family[] = ["playback", "click"];

/**
 * Bus topic (Kafka) or stream (Kinesis) names. Keys are `view_id` (playback, click), `job_id`
 * (job), `app_id` (api), `video_id` (upload), the notification id (notification) or the CMCD
 * session id of the request (cdn; its edge request id, else its log line, when it has none).
 */
export const TOPICS = {
  playback: "reeltime.playback",
  click: "reeltime.click",
  job: "reeltime.job",
  api: "reeltime.api",
  upload: "reeltime.upload",
  notification: "reeltime.notification",
  cdn: "reeltime.cdn",
  deadLetter: "reeltime.dead-letter",
  /** Transcode requests, a work queue the pipeline workers consume as one group (key: request_id). */
  transcode: "reeltime.transcode",
  /**
   * Chunk work units of segment-parallel encodes (one per chunk x rendition), a work queue every
   * pipeline worker also consumes, as one group (key: unit id).
   */
  transcodeChunks: "reeltime.transcode.chunks",
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];
export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);
