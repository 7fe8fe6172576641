import { archivePrefix, FAMILIES, TOPICS, type Topic } from "@reeltime/events";

/** What one runnable component reaches in AWS; every IAM role is built from this table alone. */
export interface ComponentAccess {
  /** Kubernetes service account the role is bound to (EKS Pod Identity). */
  serviceAccount: string;
  /** Streams read through a consumer group. */
  consumes: readonly Topic[];
  /** Streams written to. */
  publishes: readonly Topic[];
  /** Archive prefixes read and written (objects are immutable; overwrites are checkpoints). */
  archiveReadWrite: readonly string[];
  /** Archive prefixes whose objects the component deletes (the archiver prunes its old cut markers). */
  archiveDelete: readonly string[];
  /** Archive prefixes only read. */
  archiveRead: readonly string[];
  /**
   * Lists the archive only under its own prefixes (ListBucket with an `s3:prefix` condition, no
   * GetBucketLocation), instead of the whole bucket.
   */
  archiveListOwnPrefixes: boolean;
  /** Runs Athena queries in the reeltime workgroup. */
  athena: boolean;
  /** Reads the archive's completed-upload notifications from their queue (upload-notifications.ts). */
  uploadNotifications: boolean;
  /**
   * Reads the operator's CloudFront real-time log stream (a Kinesis stream outside the stack,
   * through the shard lease table); the role exists only when the stack is given that stream.
   */
  cloudfrontRealtimeLogs: boolean;
}

const FAMILY_TOPICS: readonly Topic[] = FAMILIES.map((f) => TOPICS[f]);
const state = (group: string) => `_state/${group}/`;

const base = {
  consumes: [] as readonly Topic[],
  publishes: [] as readonly Topic[],
  archiveReadWrite: [] as readonly string[],
  archiveDelete: [] as readonly string[],
  archiveRead: [] as readonly string[],
  archiveListOwnPrefixes: false,
  athena: false,
  uploadNotifications: false,
  cloudfrontRealtimeLogs: false,
};

/**
 * Components and what they touch: ingest publishes, each processor (its own consumer group)
 * reads its topics and sends failures to the dead letters, the archivers write Parquet, the
 * pipeline reads uploads and writes media, the upgrade job only creates/describes streams,
 * and analysts query Athena.
 */
export const COMPONENTS = {
  // A write key may send playback and click events; ingest adds its own api.request records.
  // GET /v1/live/viewers reads the viewers processor's figures: that prefix only, read-only.
  ingest: {
    ...base,
    serviceAccount: "reeltime-ingest",
    publishes: [TOPICS.playback, TOPICS.click, TOPICS.api, TOPICS.deadLetter],
    archiveRead: ["_live/viewers/"],
    archiveListOwnPrefixes: true,
  },
  // The upload API: multipart uploads under uploads/ (it reads a completed object back for its
  // checksum and deletes one that fails it), one upload.* event per step; on AWS it also turns
  // S3's notifications of completed uploads (S3 → EventBridge → SQS) into the same events.
  uploads: {
    ...base,
    serviceAccount: "reeltime-uploads",
    publishes: [TOPICS.upload],
    archiveReadWrite: ["uploads/"],
    archiveDelete: ["uploads/"],
    uploadNotifications: true,
  },
  // The catalogue updater folds upload and job events into the videos table (PostgreSQL) and
  // archives the public video records as Parquet for Athena (records/videos/).
  catalogue: {
    ...base,
    serviceAccount: "reeltime-catalogue",
    consumes: [TOPICS.upload, TOPICS.job],
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: [archivePrefix.record("videos")],
  },
  // The notifier sends webhooks and emails for ready/failed videos and reports each attempt.
  notifier: {
    ...base,
    serviceAccount: "reeltime-notifier",
    consumes: [TOPICS.job],
    publishes: [TOPICS.notification, TOPICS.deadLetter],
  },
  indexer: { ...base, serviceAccount: "reeltime-indexer", consumes: FAMILY_TOPICS, publishes: [TOPICS.deadLetter] },
  "dead-letters": { ...base, serviceAccount: "reeltime-dead-letters", consumes: [TOPICS.deadLetter] },
  sessionizer: {
    ...base,
    serviceAccount: "reeltime-sessionizer",
    consumes: [TOPICS.playback],
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: [state("reeltime-sessionizer")],
  },
  jobs: {
    ...base,
    serviceAccount: "reeltime-jobs",
    consumes: [TOPICS.job],
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: [state("reeltime-jobs")],
  },
  archiver: {
    ...base,
    serviceAccount: "reeltime-archiver",
    consumes: FAMILY_TOPICS,
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: ["events/", state("reeltime-archiver")],
    archiveDelete: [state("reeltime-archiver")],
  },
  "view-archiver": {
    ...base,
    serviceAccount: "reeltime-view-archiver",
    consumes: [TOPICS.playback],
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: [archivePrefix.record("views"), state("reeltime-view-archiver")],
  },
  "job-archiver": {
    ...base,
    serviceAccount: "reeltime-job-archiver",
    consumes: [TOPICS.job],
    publishes: [TOPICS.deadLetter],
    archiveReadWrite: [archivePrefix.record("jobs"), state("reeltime-job-archiver")],
  },
  // Concurrent viewers per live stream and the QoE counters alerts read; figures per partition under _live/viewers/.
  viewers: {
    ...base,
    serviceAccount: "reeltime-viewers",
    consumes: [TOPICS.playback],
    archiveReadWrite: ["_live/viewers/"],
  },
  // CDN requests (reeltime.cdn) → each view's running CDN totals, published as playback.delivery
  // on the playback topic under the view's key; views that left memory are saved under its state.
  delivery: {
    ...base,
    serviceAccount: "reeltime-delivery",
    consumes: [TOPICS.cdn],
    publishes: [TOPICS.playback, TOPICS.deadLetter],
    archiveReadWrite: [state("reeltime-delivery")],
  },
  // `reeltime cdn consume`: the consumer group of the operator's CloudFront real-time log stream
  // (leases in the lease table) → cdn.request events on reeltime.cdn, bad lines to the dead
  // letters. Optional: no role unless the stack gets the stream (cloudfrontRealtimeStreamArn).
  "cdn-consumer": {
    ...base,
    serviceAccount: "reeltime-cdn-consumer",
    publishes: [TOPICS.cdn, TOPICS.deadLetter],
    cloudfrontRealtimeLogs: true,
  },
  pipeline: {
    ...base,
    serviceAccount: "reeltime-pipeline",
    // Workers consume transcode requests and completed uploads as one group; the enqueue
    // CronJob publishes requests. Segment-parallel jobs: a worker publishes chunk units, every
    // worker consumes them (a second group), and the pieces and encoded chunks live in pipeline/chunks/.
    consumes: [TOPICS.transcode, TOPICS.upload, TOPICS.transcodeChunks],
    publishes: [TOPICS.job, TOPICS.transcode, TOPICS.transcodeChunks],
    archiveRead: ["uploads/"],
    archiveReadWrite: ["media/", "pipeline/processed/", "pipeline/claims/", "pipeline/chunks/"],
  },
  setup: { ...base, serviceAccount: "reeltime-setup" },
  analyst: {
    ...base,
    serviceAccount: "reeltime-analyst",
    archiveRead: ["events/", "records/"],
    athena: true,
  },
} as const satisfies Record<string, ComponentAccess>;

export type ComponentName = keyof typeof COMPONENTS;

/** The processors run by `reeltime process --only <name>`, one Deployment each. */
export const PROCESSORS = [
  "indexer",
  "dead-letters",
  "sessionizer",
  "jobs",
  "archiver",
  "view-archiver",
  "job-archiver",
  "viewers",
  "delivery",
] as const satisfies readonly ComponentName[];
