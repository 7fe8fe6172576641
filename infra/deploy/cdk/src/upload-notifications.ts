import { Duration, type Stack } from "aws-cdk-lib";
import { ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { Match, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import type { CfnBucket } from "aws-cdk-lib/aws-s3";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Storage } from "./storage.ts";

/** Where the upload API puts sources in the archive: `uploads/<app>/<video>/source.<ext>`. */
export const UPLOADS_PREFIX = "uploads/";

/**
 * The S3 operations whose notification can become an `upload.completed`. The upload API only
 * ever makes multipart uploads (one part at least), so an object it stored is always the end of
 * a CompleteMultipartUpload; a PutObject under uploads/ has no upload session behind it (no
 * size, type, quota or checksum check), so the bridge could only drop it and the rule leaves it out.
 */
export const UPLOAD_COMPLETED_REASONS = ["CompleteMultipartUpload"] as const;

/** Receives before a notification goes to the dead letters (the bridge backs off between them). */
export const MAX_RECEIVES = 10;

/**
 * S3 → EventBridge → SQS, the AWS path of completed uploads to the bus.
 *
 * The archive bucket sends its events to EventBridge (set on the bucket itself, so no
 * notification custom resource and its Lambda); one rule on the default bus takes the archive's
 * `Object Created` events under `uploads/` that end a multipart upload and sends them, unchanged,
 * to a queue. The upload API reads that queue (its role is the only one allowed to) and turns each
 * notification into the same `upload.completed` its own complete publishes: it finds the upload
 * session by the key, and a session whose completion it had not recorded is checked (size,
 * SHA-256) and completed as the API would have, so the event id, which comes from the session,
 * is the same on both paths and consumers drop the second one.
 *
 * The event is not turned into a reeltime event by EventBridge itself (an input transformer onto
 * the Kinesis stream): the contract's event id, title, owner and checksum come from the session
 * row in PostgreSQL, which EventBridge cannot read, and MSK is no EventBridge target.
 *
 * Both queues use SQS-managed encryption (SSE-SQS), not the stack's key: EventBridge can only write
 * to a queue under a customer key the key policy opens to events.amazonaws.com, and such a grant
 * cannot be narrowed to this rule. The messages hold what S3 says of an object (bucket, key,
 * size, ETag, version), nothing of the video. Messages the bridge fails on {@link MAX_RECEIVES}
 * times, and events EventBridge could not deliver for a day, go to the dead-letter queue, kept
 * 14 days, with an alarm when it holds any.
 */
export function uploadNotifications(stack: Stack, s: Storage) {
  // EventBridge notifications of the archive bucket, on the bucket resource itself.
  (s.archive.node.defaultChild as CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
  const deadLetters = new Queue(stack, "UploadNotificationsDeadLetters", {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new Queue(stack, "UploadNotifications", {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // The bridge may read a whole source back (its SHA-256) before it deletes the message; it
    // extends the visibility while it does, and shortens it to back off after a failure.
    visibilityTimeout: Duration.minutes(15),
    receiveMessageWaitTime: Duration.seconds(20),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVES },
  });
  const rule = new Rule(stack, "UploadCompletedRule", {
    description: "completed multipart uploads under uploads/ of the reeltime archive, to the upload API's queue",
    eventPattern: {
      source: ["aws.s3"],
      detailType: ["Object Created"],
      detail: {
        bucket: { name: [s.archive.bucketName] },
        object: { key: Match.prefix(UPLOADS_PREFIX) },
        reason: [...UPLOAD_COMPLETED_REASONS],
      },
    },
    targets: [
      new SqsQueue(queue, { deadLetterQueue: deadLetters, maxEventAge: Duration.hours(24), retryAttempts: 185 }),
    ],
  });
  const alarm = deadLetters
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })
    .createAlarm(stack, "UploadNotificationsDeadLetterAlarm", {
      alarmDescription:
        "completed uploads the upload API could not turn into upload.completed (or EventBridge could not deliver): " +
        "read them, fix the cause, then redrive them to the upload notifications queue",
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  return { queue, deadLetters, rule, alarm };
}

export type UploadNotifications = ReturnType<typeof uploadNotifications>;
