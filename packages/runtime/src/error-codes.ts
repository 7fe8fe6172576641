/**
 * How the CLI ends on an error of a code: `failure` (something went wrong: retry, or look at
 * the service it names) or `usage` (the command, its input or a setting is wrong: change it).
 * The CLI maps each class to its exit status (cli/src/exit-codes.ts).
 */
export type ExitClass = "failure" | "usage";

/** What a code means everywhere it surfaces: HTTP answers, retries, the CLI's exit status. */
export interface ErrorSpec {
  /** The HTTP status an API answers with; also what a processor reads to tell content from outages. */
  readonly status: number;
  /** Whether the same call can succeed later without any change. */
  readonly retryable: boolean;
  readonly exit: ExitClass;
  /** One line: what happened. Also the public message of a 5xx answer (the detail is logged). */
  readonly meaning: string;
  /** The error relays a remote service's refusal: an instance may carry that service's status. */
  readonly upstream?: true;
}

/**
 * Every error code reeltime raises, in one table. docs/errors.md is generated from it
 * (`reeltime errors --write docs/errors.md`) and a unit test checks that every
 * `REELTIME_ERR_*` literal in the tree is a key here.
 */
// biome-ignore format: one code per line reads as a table
export const ERRORS = {
  // The HTTP API: what a client sent, or why it cannot be served now.
  REELTIME_ERR_AUTH: { status: 401, retryable: false, exit: "failure", meaning: "the write key or read token is missing or not valid" },
  REELTIME_ERR_FORBIDDEN: { status: 403, retryable: false, exit: "failure", meaning: "the credential is valid but may not do this (another app's data)" },
  REELTIME_ERR_CORS: { status: 403, retryable: false, exit: "failure", meaning: "the browser origin is not allowed for any app" },
  REELTIME_ERR_BODY: { status: 400, retryable: false, exit: "failure", meaning: "the request body is empty, malformed or cannot be decompressed" },
  REELTIME_ERR_JSON: { status: 400, retryable: false, exit: "failure", meaning: "the request body is not valid JSON" },
  REELTIME_ERR_SCHEMA: { status: 400, retryable: false, exit: "failure", meaning: "an event does not match the event contract" },
  REELTIME_ERR_QUERY: { status: 400, retryable: false, exit: "failure", meaning: "a query (query string or SQL) is not valid or failed on its content" },
  REELTIME_ERR_TOO_LARGE: { status: 413, retryable: false, exit: "failure", meaning: "the request body exceeds the body limit" },
  REELTIME_ERR_HEADERS_TOO_LARGE: { status: 431, retryable: false, exit: "failure", meaning: "the request headers exceed the server's limit" },
  REELTIME_ERR_MEDIA_TYPE: { status: 415, retryable: false, exit: "failure", meaning: "the content type, charset or content encoding is not supported" },
  REELTIME_ERR_RATE_LIMITED: { status: 429, retryable: true, exit: "failure", meaning: "the app sent more requests than its rate limit allows; retry after the delay given" },
  REELTIME_ERR_OVERLOADED: { status: 503, retryable: true, exit: "failure", meaning: "the ingest API is overloaded; retry after a few seconds" },
  REELTIME_ERR_NOT_FOUND: { status: 404, retryable: false, exit: "failure", meaning: "no such route, file or archive object" },
  REELTIME_ERR_INTERNAL: { status: 500, retryable: false, exit: "failure", meaning: "unexpected error; it has been logged" },

  // The upload API: refusals before any byte is stored, and on completion.
  REELTIME_ERR_UPLOAD_TOO_LARGE: { status: 413, retryable: false, exit: "failure", meaning: "the announced upload is larger than the upload size limit" },
  REELTIME_ERR_UPLOAD_TYPE: { status: 415, retryable: false, exit: "failure", meaning: "the upload's content type is not an allowed video type" },
  REELTIME_ERR_QUOTA: { status: 429, retryable: true, exit: "failure", meaning: "the app has used its upload quota for the day; retry after midnight UTC" },
  REELTIME_ERR_CHECKSUM: { status: 422, retryable: false, exit: "failure", meaning: "the stored object is not the one announced (SHA-256 or size); it was deleted, upload it again" },
  REELTIME_ERR_UPLOAD_STATE: { status: 409, retryable: false, exit: "failure", meaning: "the upload is already over (completed, or aborted: refused on completion, or expired): no part can be added to it; an aborted one cannot be completed either, start a new upload" },
  REELTIME_ERR_UPLOAD_URL: { status: 403, retryable: false, exit: "failure", meaning: "a part URL the upload API serves was changed or has expired; PUT to the URL it answered, or ask GET /v1/uploads/:id for fresh ones" },
  REELTIME_ERR_PART_SIZE: { status: 400, retryable: false, exit: "failure", meaning: "a part's body is not the length its URL was signed for; nothing of it was stored" },

  // The notifier's endpoint registry.
  REELTIME_ERR_WEBHOOK_TARGET: { status: 400, retryable: false, exit: "usage", meaning: "a webhook URL is not http(s), or points at a loopback, private, link-local or otherwise non-public address (refused in production)" },
  REELTIME_ERR_WEBHOOK_LIMIT: { status: 409, retryable: false, exit: "failure", meaning: "the app has as many webhook endpoints as it may register; delete one first" },
  // The notifier's deliveries: the error of a failed attempt (notification.failed/dead, the delivery log).
  REELTIME_ERR_WEBHOOK_STATUS: { status: 502, retryable: true, exit: "failure", meaning: "a webhook endpoint answered with a status other than 2xx; the delivery is retried", upstream: true },
  REELTIME_ERR_WEBHOOK_UNREACHABLE: { status: 503, retryable: true, exit: "failure", meaning: "a webhook endpoint could not be reached (DNS, connection, TLS, or no answer in time); the delivery is retried" },
  REELTIME_ERR_SMTP: { status: 502, retryable: true, exit: "failure", meaning: "the SMTP server refused the email or could not be reached; the email is retried", upstream: true },

  // Backing services (ports and their adapters).
  REELTIME_ERR_BUS_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "events could not be stored right now; retry the batch" },
  REELTIME_ERR_BUS_MESSAGE_TOO_LARGE: { status: 413, retryable: false, exit: "failure", meaning: "a message exceeds the bus's size limit" },
  REELTIME_ERR_BUS_REJECTED: { status: 500, retryable: false, exit: "failure", meaning: "the bus refused the request for good (authorisation, validation)" },
  REELTIME_ERR_BUS_TOPIC: { status: 500, retryable: false, exit: "failure", meaning: "a topic or stream name is not valid, or the stream does not exist" },
  REELTIME_ERR_BUS_LOCKED: { status: 503, retryable: false, exit: "failure", meaning: "another process holds the embedded log's lock" },
  REELTIME_ERR_BUS_CORRUPT: { status: 500, retryable: false, exit: "failure", meaning: "a segment of the embedded log is corrupt" },
  REELTIME_ERR_BUS_STOPPED: { status: 503, retryable: false, exit: "failure", meaning: "the bus was shut down; create a new one" },
  REELTIME_ERR_BUS_SHUTDOWN: { status: 500, retryable: false, exit: "failure", meaning: "the bus clients did not close in time" },
  REELTIME_ERR_SEARCH_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "the search store is unavailable; retry shortly" },
  REELTIME_ERR_SEARCH: { status: 502, retryable: false, exit: "failure", meaning: "the search store refused or failed a request", upstream: true },
  REELTIME_ERR_SEARCH_REJECTED: { status: 400, retryable: false, exit: "failure", meaning: "the search store refused documents for their content" },
  REELTIME_ERR_SEARCH_FILTER: { status: 400, retryable: false, exit: "usage", meaning: "a search filter has a value of the wrong type" },
  REELTIME_ERR_SEARCH_LIMIT: { status: 400, retryable: false, exit: "usage", meaning: "a search limit is out of range" },
  REELTIME_ERR_SEARCH_DEAD_LETTER: { status: 400, retryable: false, exit: "usage", meaning: "a dead-letter record is not valid" },
  REELTIME_ERR_ARCHIVE_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "the archive is unreachable or refusing for now; retry later" },
  REELTIME_ERR_ARCHIVE: { status: 500, retryable: false, exit: "failure", meaning: "an archive operation failed for a reason other than an outage" },
  REELTIME_ERR_ARCHIVE_AUTH: { status: 500, retryable: false, exit: "usage", meaning: "the archive refused the credentials; fix the keys or the role's policy" },
  REELTIME_ERR_ARCHIVE_KEY: { status: 400, retryable: false, exit: "usage", meaning: "an archive key is not valid, or collides with a folder of other keys" },
  REELTIME_ERR_ARCHIVE_CONTENT: { status: 422, retryable: false, exit: "failure", meaning: "rows could not be written as Parquet because of what they hold" },
  REELTIME_ERR_QUERY_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "the query engine or its storage is unreachable; retry later" },
  REELTIME_ERR_QUERY_CANCELLED: { status: 499, retryable: false, exit: "failure", meaning: "the query was cancelled" },
  REELTIME_ERR_QUERY_COST: { status: 400, retryable: false, exit: "usage", meaning: "the query would scan more than the cost guard allows; filter on dt" },
  REELTIME_ERR_ANALYSIS_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "the content analysis service is unreachable or throttling; retry later" },
  REELTIME_ERR_ANALYSIS: { status: 502, retryable: false, exit: "failure", meaning: "a content analysis failed: its provider refused the request or its analysis job failed, or ffmpeg's output could not be read", upstream: true },
  REELTIME_ERR_DATABASE_UNAVAILABLE: { status: 503, retryable: true, exit: "failure", meaning: "the database (PostgreSQL) is unreachable or refusing connections; retry shortly" },
  REELTIME_ERR_CONFIG: { status: 500, retryable: false, exit: "usage", meaning: "a setting is missing or not valid" },
  REELTIME_ERR_NOT_INSTALLED: { status: 500, retryable: false, exit: "usage", meaning: "the command needs a workspace this installation leaves out (each image holds only its role's)" },

  // Processes and their sockets.
  REELTIME_ERR_PORT_TAKEN: { status: 500, retryable: false, exit: "failure", meaning: "the port to listen on is already in use" },
  REELTIME_ERR_PORT_DENIED: { status: 500, retryable: false, exit: "failure", meaning: "the port to listen on needs privileges this process lacks" },
  REELTIME_ERR_HOST_UNAVAILABLE: { status: 500, retryable: false, exit: "failure", meaning: "the host to listen on is not an address of this machine" },

  // Stream processors and analytics.
  REELTIME_ERR_CONTENT: { status: 422, retryable: false, exit: "failure", meaning: "a message cannot be handled because of what it holds; it goes to dead letters" },
  REELTIME_ERR_COMPACTION: { status: 500, retryable: false, exit: "failure", meaning: "compaction found a record or file it cannot use" },

  // CDN logs: `reeltime cdn import` and the real-time log consumer.
  REELTIME_ERR_CDN_SOURCE: { status: 400, retryable: false, exit: "usage", meaning: "the CDN log location is not s3://bucket/prefix or an existing path, or cannot be listed or read" },
  REELTIME_ERR_CDN_FIELDS: { status: 400, retryable: false, exit: "usage", meaning: "the real-time log field list names a field CloudFront does not have, repeats one, or lacks timestamp, sc-status or cs-uri-stem" },
  REELTIME_ERR_CDN_IMPORT: { status: 500, retryable: true, exit: "failure", meaning: "some CDN log files could not be read to the end; they are not in the ledger, import again" },

  // The transcoding pipeline: refused inputs (carried in job.failed) and worker failures.
  REELTIME_ERR_INPUT_NOT_FOUND: { status: 422, retryable: false, exit: "failure", meaning: "the input file does not exist" },
  REELTIME_ERR_EMPTY_INPUT: { status: 422, retryable: false, exit: "failure", meaning: "the input file is empty" },
  REELTIME_ERR_NOT_A_VIDEO: { status: 422, retryable: false, exit: "failure", meaning: "the input is not a media file ffprobe can read" },
  REELTIME_ERR_CORRUPT_INPUT: { status: 422, retryable: false, exit: "failure", meaning: "the input is a damaged media file" },
  REELTIME_ERR_NO_VIDEO_STREAM: { status: 422, retryable: false, exit: "failure", meaning: "the input has no video stream" },
  REELTIME_ERR_NO_AUDIO_STREAM: { status: 422, retryable: false, exit: "failure", meaning: "the input has no audio stream, and an audio-only package was asked for" },
  REELTIME_ERR_BAD_SUBTITLES: { status: 422, retryable: false, exit: "failure", meaning: "a subtitle file is not valid WebVTT (or names a bad language); that language is left out, the video completes without it" },
  REELTIME_ERR_UNSUPPORTED_CODEC: { status: 422, retryable: false, exit: "failure", meaning: "the input's codec cannot be decoded" },
  REELTIME_ERR_ABSURD_RESOLUTION: { status: 422, retryable: false, exit: "failure", meaning: "the input's resolution is out of range" },
  REELTIME_ERR_ABSURD_DURATION: { status: 422, retryable: false, exit: "failure", meaning: "the input's duration is out of range" },
  REELTIME_ERR_FFMPEG: { status: 500, retryable: true, exit: "failure", meaning: "ffmpeg or ffprobe exited with a failure" },
  REELTIME_ERR_CANCELLED: { status: 499, retryable: false, exit: "failure", meaning: "the job was cancelled (another step failed for good, or the caller aborted)" },
  REELTIME_ERR_PIPELINE: { status: 500, retryable: false, exit: "failure", meaning: "a transcoding step failed without a more precise code" },
  REELTIME_ERR_BAD_TRANSCODE_REQUEST: { status: 400, retryable: false, exit: "failure", meaning: "a message on the transcode topic is not a transcode request" },
  REELTIME_ERR_CLAIM_HELD: { status: 409, retryable: true, exit: "failure", meaning: "another live worker holds the request's claim" },
  REELTIME_ERR_BAD_CHUNK_REQUEST: { status: 400, retryable: false, exit: "failure", meaning: "a message on the chunk topic is not a chunk work unit of a segment-parallel encode" },
  REELTIME_ERR_CHUNKS_STALLED: { status: 504, retryable: true, exit: "failure", meaning: "no chunk of a segment-parallel encode ended within the stall timeout: no worker of the chunk encoders' group took them (are pipeline workers running?)" },
  REELTIME_ERR_LIVE_BUSY: { status: 409, retryable: false, exit: "failure", meaning: "another process is publishing a live stream of that name; stop it or pick another name" },

  // The CLI and the local services it starts.
  REELTIME_ERR_USAGE: { status: 400, retryable: false, exit: "usage", meaning: "a command-line option or argument is not valid" },
  REELTIME_ERR_INPUT: { status: 400, retryable: false, exit: "usage", meaning: "an input file is missing, unreadable or empty" },
  REELTIME_ERR_UNKNOWN_TYPE: { status: 400, retryable: false, exit: "usage", meaning: "no event type of that name in the contract" },
  REELTIME_ERR_GENERATED_STALE: { status: 500, retryable: false, exit: "failure", meaning: "committed generated files differ from what the generator makes now" },
  REELTIME_ERR_DASHBOARD_IMPORT: { status: 502, retryable: false, exit: "failure", meaning: "Kibana or Grafana could not be reached or refused the dashboards", upstream: true },
  REELTIME_ERR_BUILD: { status: 500, retryable: false, exit: "failure", meaning: "a build (SDK bundles, a service from source) failed" },
  REELTIME_ERR_DOWNLOAD: { status: 500, retryable: false, exit: "failure", meaning: "a download of a local service failed" },
  REELTIME_ERR_MISSING_TOOL: { status: 500, retryable: false, exit: "failure", meaning: "a tool a local service needs is not installed" },
  REELTIME_ERR_APT: { status: 500, retryable: false, exit: "failure", meaning: "installing Debian packages failed" },
  REELTIME_ERR_HEALTH: { status: 500, retryable: false, exit: "failure", meaning: "a local service did not become healthy in time" },
  REELTIME_ERR_SERVICE_EXITED: { status: 500, retryable: false, exit: "failure", meaning: "a local service exited while starting" },
  REELTIME_ERR_PROVISION: { status: 500, retryable: false, exit: "failure", meaning: "creating topics, streams, buckets or templates on the local services failed" },
  REELTIME_ERR_INFRA_UP: { status: 500, retryable: false, exit: "failure", meaning: "the local services did not all start" },
  REELTIME_ERR_INFRA_DOWN: { status: 500, retryable: false, exit: "failure", meaning: "a local service did not stop" },
} as const satisfies Record<`REELTIME_ERR_${string}`, ErrorSpec>;

/** Every error code: a key of {@link ERRORS}. */
export type ErrorCode = keyof typeof ERRORS;

/** The codes whose errors may carry a remote service's own status. */
export type UpstreamCode = {
  [C in ErrorCode]: (typeof ERRORS)[C] extends { upstream: true } ? C : never;
}[ErrorCode];

/** Whether a string (a code read off the wire, a job event) is a known code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERRORS, code);
}

/** The spec of a code. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERRORS[code];
}
