import { setTimeout as sleep } from "node:timers/promises";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Logger } from "@reeltime/runtime";
import type { UploadService } from "./service.ts";
import type { UploadSessions } from "./store.ts";

/** An upload's source key as the upload API makes it, `uploads/<app>/<video>/source.<ext>`: the app and the video. */
const UPLOAD_KEY = /^uploads\/([^/]+)\/([^/]+)\/[^/]+$/;

/** The visibility a message is held for while the bridge works on it (the queue's own, 15 min). */
export const WORKING_VISIBILITY_SECONDS = 900;
/** SQS's longest visibility timeout (12 h). */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** How often the visibility of the message being worked on is extended (a long checksum read). */
export const HEARTBEAT_MS = 5 * 60_000;
/** Longest body kept in the log line of a message that is not an S3 event. */
const BODY_LOGGED = 500;

/**
 * Seconds a message waits after the bridge failed on it (the database, S3 or the bus): 30 s after
 * the first receive, doubling each receive, at most 15 min. SQS counts the receives and moves the
 * message to the dead letters after 10.
 */
export const retryVisibilitySeconds = (receives: number): number =>
  Math.min(WORKING_VISIBILITY_SECONDS, 30 * 2 ** (Math.max(1, Math.floor(receives)) - 1));

/** What the bridge reads of S3's `Object Created` event as EventBridge delivers it. */
export interface ObjectCreated {
  bucket: string;
  key: string;
  versionId?: string;
  size?: number;
  /** When S3 created the object (the event's `time`). */
  time?: Date;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * Reads an EventBridge event of S3 (the message body, unchanged by the rule): source `aws.s3`,
 * detail-type `Object Created`, `detail.bucket.name` and `detail.object.key` required;
 * `detail.object["version-id"]`, `detail.object.size` and the event's `time` taken when present.
 * A string saying what is wrong otherwise.
 */
export function parseObjectCreated(body: string): ObjectCreated | string {
  let e: unknown;
  try {
    e = JSON.parse(body);
  } catch {
    return "not JSON";
  }
  if (!isObject(e)) return "not a JSON object";
  if (e.source !== "aws.s3") return `source is ${JSON.stringify(e.source)}, not "aws.s3"`;
  if (e["detail-type"] !== "Object Created")
    return `detail-type is ${JSON.stringify(e["detail-type"])}, not "Object Created"`;
  const detail = e.detail;
  const bucket = isObject(detail) && isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isObject(detail) && isObject(detail.object) ? detail.object : undefined;
  if (!nonEmpty(bucket)) return "no detail.bucket.name";
  if (!object || !nonEmpty(object.key)) return "no detail.object.key";
  const version = object["version-id"];
  const time = typeof e.time === "string" ? new Date(e.time) : undefined;
  return {
    bucket,
    key: object.key,
    ...(nonEmpty(version) ? { versionId: version } : {}),
    ...(typeof object.size === "number" ? { size: object.size } : {}),
    ...(time && !Number.isNaN(time.getTime()) ? { time } : {}),
  };
}

export interface UploadBridgeDeps {
  sqs: SQSClient;
  /** REELTIME_UPLOAD_QUEUE_URL: the queue the CDK app's rule sends S3's events to. */
  queueUrl: string;
  /** The bucket the upload API starts uploads in (REELTIME_S3_BUCKET); another bucket's events are dropped. */
  bucket: string;
  store: UploadSessions;
  service: Pick<UploadService, "completeFromNotification">;
  /** REELTIME_UPLOAD_BRIDGE_GRACE_SECONDS: how long the client's own complete has before the bridge steps in. */
  graceSeconds: number;
  logger: Logger;
  now?: () => Date;
  /** How often the visibility of the message being worked on is extended (default 5 min). */
  heartbeatMs?: number;
}

/** What became of a message: deleted, left for later (its visibility set), or failed and backed off. */
export type Handled = "deleted" | "deferred" | "failed";

type Decision = { action: "delete" } | { action: "defer"; seconds: number };

/**
 * The AWS path of a completed upload to the bus: reads S3's notifications of completed uploads
 * (S3 → EventBridge → SQS, `infra/deploy/cdk/src/upload-notifications.ts`) and, for an upload
 * whose completion the API did not record within the grace period, runs the checks its complete
 * would have run and publishes the same final event ({@link UploadService.completeFromNotification}).
 * One message at a time; every replica runs one (a message is invisible to the others while one
 * works on it). A failure leaves the message on the queue with a growing visibility timeout.
 */
export class UploadNotificationBridge {
  readonly #d: UploadBridgeDeps;
  readonly #now: () => Date;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: UploadBridgeDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts the receive loop (long polls of 20 s). */
  start(): void {
    if (this.#running) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#loop(abort.signal);
  }

  /** Stops: the long poll is abandoned at once, the message being worked on is finished first. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const { logger } = this.#d;
    let failures = 0;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.receive(signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const seconds = Math.min(60, 2 ** Math.min(failures, 6));
        logger.warn(
          { err, queue: this.#d.queueUrl, retry_in_seconds: seconds },
          "could not read the upload notifications queue (REELTIME_UPLOAD_QUEUE_URL); retrying",
        );
        await sleep(seconds * 1000, undefined, { signal }).catch(() => undefined);
        continue;
      }
      for (const [i, message] of messages.entries()) {
        if (signal.aborted) {
          await this.#release(messages.slice(i));
          break;
        }
        await this.handle(message);
      }
    }
  }

  /** One long poll: up to 10 messages, with their receive counts; none when stopped meanwhile. */
  async receive(signal?: AbortSignal): Promise<Message[]> {
    const sending = this.#d.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#d.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
      signal ? { abortSignal: signal } : {},
    );
    if (!signal) return (await sending).Messages ?? [];
    // Stopping does not wait for the SDK to honour the abort: messages it still hands over are released.
    const stopped = new Promise<undefined>((resolve) => {
      if (signal.aborted) resolve(undefined);
      else signal.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    const out = await Promise.race([sending, stopped]);
    if (out === undefined) {
      sending.then((late) => this.#release(late.Messages ?? [])).catch(() => undefined);
      return [];
    }
    return out.Messages ?? [];
  }

  /** Makes messages received but not worked on visible again at once (stopping), best effort. */
  async #release(messages: Message[]): Promise<void> {
    for (const m of messages) if (m.ReceiptHandle) await this.#visibility(m.ReceiptHandle, 0).catch(() => undefined);
  }

  /**
   * Works on one message: deletes it when done with it (published, already published, or nothing
   * to publish), leaves it for later while the upload is within its grace period, and backs off
   * when something failed (never deleted then).
   */
  async handle(message: Message): Promise<Handled> {
    const { logger } = this.#d;
    const receipt = message.ReceiptHandle;
    if (!receipt) return "failed";
    const receives = Number(message.Attributes?.ApproximateReceiveCount ?? "1") || 1;
    const seen: { key?: string; upload?: string } = {};
    // A long checksum read keeps the message invisible to the other replicas.
    let beat: Promise<unknown> = Promise.resolve();
    const heartbeat = setInterval(() => {
      beat = this.#visibility(receipt, WORKING_VISIBILITY_SECONDS).catch((err: unknown) =>
        logger.warn({ err, ...seen }, "could not extend an upload notification's visibility"),
      );
    }, this.#d.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    let decision: Decision | { action: "retry"; err: unknown };
    try {
      decision = await this.#decide(message, seen);
    } catch (err) {
      decision = { action: "retry", err };
    } finally {
      clearInterval(heartbeat);
      await beat;
    }
    try {
      if (decision.action === "delete") {
        await this.#d.sqs.send(new DeleteMessageCommand({ QueueUrl: this.#d.queueUrl, ReceiptHandle: receipt }));
        return "deleted";
      }
      if (decision.action === "defer") {
        await this.#visibility(receipt, decision.seconds);
        return "deferred";
      }
      const seconds = retryVisibilitySeconds(receives);
      logger.warn(
        { err: decision.err, ...seen, receives, retry_in_seconds: seconds },
        "an upload notification failed; it comes back later (dead letters after 10 receives)",
      );
      await this.#visibility(receipt, seconds);
      return "failed";
    } catch (err) {
      logger.warn({ err, ...seen }, "could not delete or delay an upload notification; it comes back later");
      return "failed";
    }
  }

  async #decide(message: Message, seen: { key?: string; upload?: string }): Promise<Decision> {
    const { logger, store, bucket } = this.#d;
    const body = message.Body ?? "";
    const event = parseObjectCreated(body);
    if (typeof event === "string") {
      logger.error(
        { message: message.MessageId, why: event, body: body.slice(0, BODY_LOGGED) },
        "an upload notification that is not S3's Object Created event; deleted",
      );
      return { action: "delete" };
    }
    seen.key = event.key;
    if (event.bucket !== bucket) {
      logger.warn(
        { bucket: event.bucket, key: event.key, expected: bucket },
        "an upload notification of another bucket than REELTIME_S3_BUCKET; deleted",
      );
      return { action: "delete" };
    }
    const match = UPLOAD_KEY.exec(event.key);
    if (!match) {
      logger.warn({ key: event.key }, "an upload notification of a key outside uploads/<app>/<video>/; deleted");
      return { action: "delete" };
    }
    const [, app = "", video = ""] = match;
    const row = await store.getByVideo(app, video);
    if (row === undefined || row.key !== event.key) {
      logger.warn(
        { key: event.key },
        `no upload session for ${event.key}; not published (pipeline watch still finds the object)`,
      );
      return { action: "delete" };
    }
    seen.upload = row.id;
    // Completed or aborted: the API's own publish, or its sweep of unpublished events, covers it.
    if (row.state !== "created") return { action: "delete" };
    const now = this.#now().getTime();
    const sent = Number(message.Attributes?.SentTimestamp);
    const completedAt = event.time?.getTime() ?? (Number.isFinite(sent) && sent > 0 ? sent : now);
    const age = (now - completedAt) / 1000;
    if (age < this.#d.graceSeconds) {
      const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(this.#d.graceSeconds - age)));
      logger.debug(
        { upload: row.id, key: event.key, retry_in_seconds: seconds },
        "an upload S3 completed moments ago: its client's complete goes first",
      );
      return { action: "defer", seconds };
    }
    const done = await this.#d.service.completeFromNotification(
      row,
      event.versionId ? { versionId: event.versionId } : {},
    );
    if (done.outcome === "absent")
      logger.warn(
        { upload: row.id, key: event.key },
        "S3 no longer holds the object of an upload it notified; not published",
      );
    else if (done.outcome === "aborted")
      logger.warn(
        { upload: row.id, key: event.key, error: done.row.error_message },
        "an upload completed on S3 only did not match its checksum: object deleted, upload.aborted published",
      );
    else
      logger.info(
        { upload: row.id, key: event.key, version: done.row.version },
        "an upload completed on S3 only: checked and upload.completed published",
      );
    return { action: "delete" };
  }

  #visibility(receipt: string, seconds: number) {
    return this.#d.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.#d.queueUrl,
        ReceiptHandle: receipt,
        VisibilityTimeout: seconds,
      }),
    );
  }
}
