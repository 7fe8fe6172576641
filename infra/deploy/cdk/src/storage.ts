import { Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from "aws-cdk-lib/aws-s3";
import type { CommonParameters } from "./params.ts";

/**
 * One customer-managed key for everything at rest, the Parquet archive (events, records,
 * processor checkpoints, media) and the Athena results bucket. Both buckets are private,
 * TLS-only and SSE-KMS with bucket keys (one KMS call per object batch, not per object).
 */
export function storage(stack: Stack, p: CommonParameters) {
  const key = new Key(stack, "DataKey", {
    description: "reeltime data at rest: archive, Athena results, streams, secrets",
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const common = {
    encryption: BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  };
  const retention = Duration.days(p.retentionDays.valueAsNumber);
  const archive = new Bucket(stack, "Archive", {
    ...common,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: "abort-incomplete-uploads-and-old-versions",
        abortIncompleteMultipartUploadAfter: Duration.days(1),
        noncurrentVersionExpiration: Duration.days(7),
      },
      ...["events/", "records/"].map((prefix) => ({
        id: `tier-then-expire-${prefix.slice(0, -1)}`,
        prefix,
        transitions: [{ storageClass: StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) }],
        expiration: retention,
      })),
      { id: "expire-uploads", prefix: "uploads/", expiration: Duration.days(30) },
    ],
  });
  const results = new Bucket(stack, "AthenaResults", {
    ...common,
    removalPolicy: RemovalPolicy.DESTROY,
    lifecycleRules: [
      {
        id: "expire-query-results",
        expiration: Duration.days(7),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
  });
  return { key, archive, results };
}

export type Storage = ReturnType<typeof storage>;
