import { ReeltimeError } from "@reeltime/runtime";

/**
 * The operator's CloudFront real-time log stream: a Kinesis data stream outside the stack that a
 * real-time log configuration writes to. Given as context (`-c cloudfrontRealtimeStreamArn=...`,
 * optionally `-c cloudfrontRealtimeStreamKeyArn=...` when it is encrypted under a customer key), it
 * turns on the `cdn-consumer` component: its role reads this stream and nothing else outside the stack.
 */
export interface CloudfrontRealtimeStream {
  arn: string;
  name: string;
  region: string;
  account: string;
  /** The customer-managed KMS key the stream is encrypted with (none: unencrypted or aws/kinesis). */
  keyArn?: string;
}

const STREAM_ARN = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** Checks the context values; a usage error naming the expected form otherwise. */
export function cloudfrontRealtimeStream(arn: string, keyArn?: string): CloudfrontRealtimeStream {
  const m = STREAM_ARN.exec(arn);
  if (!m)
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `cloudfrontRealtimeStreamArn must be a Kinesis data stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>), got ${arn}`,
    );
  if (keyArn !== undefined && !KEY_ARN.test(keyArn))
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `cloudfrontRealtimeStreamKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; not an alias), got ${keyArn}`,
    );
  return {
    arn,
    name: m[4] as string,
    region: m[2] as string,
    account: m[3] as string,
    ...(keyArn !== undefined ? { keyArn } : {}),
  };
}
