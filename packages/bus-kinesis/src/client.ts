import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { KinesisClient, type KinesisClientConfig } from "@aws-sdk/client-kinesis";
import { type ConnectionEnv, ReeltimeError, unavailable } from "@reeltime/runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export type KinesisBusEnv = Pick<
  ConnectionEnv,
  | "REELTIME_DATA_DIR"
  | "REELTIME_KINESIS_ENDPOINT"
  | "REELTIME_KINESIS_LEASE_MS"
  | "REELTIME_KINESIS_POLL_MS"
  | "REELTIME_PARTITIONS"
  | "REELTIME_BUS_TIMEOUT_MS"
  | "AWS_REGION"
> &
  Partial<
    Pick<ConnectionEnv, "REELTIME_KINESIS_LEASES" | "REELTIME_KINESIS_LEASE_TABLE" | "REELTIME_DYNAMODB_ENDPOINT">
  >;

/**
 * The SDK client with its own retries off (the bus retries per record, within
 * REELTIME_BUS_TIMEOUT_MS). The producer keeps the client's HTTP/2 handler: over HTTP/1.1,
 * kinesis-local never answers PutRecords bodies of a megabyte or more. Consumers (`http1`)
 * poll over HTTP/1.1 with keep-alive connections: their requests are small, and under
 * concurrent readers kinesis-local's HTTP/2 side stalls streams until they time out (measured:
 * 9 of 158 GetRecords timed out over HTTP/2 with 24 shard readers, none of 232 over HTTP/1.1;
 * docs/local-services.md). Against a local endpoint without AWS credentials in the
 * environment it signs with placeholder keys, which kinesis-local accepts.
 */
export function createKinesisClient(env: KinesisBusEnv, opts: { http1?: boolean } = {}): KinesisClient {
  const requestTimeout = Math.max(env.REELTIME_BUS_TIMEOUT_MS, 5000);
  const config: KinesisClientConfig = {
    region: env.AWS_REGION,
    maxAttempts: 1,
    requestHandler: opts.http1
      ? new NodeHttpHandler({
          httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
          httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
          requestTimeout,
          throwOnRequestTimeout: true,
        })
      : { requestTimeout },
  };
  if (env.REELTIME_KINESIS_ENDPOINT) {
    config.endpoint = env.REELTIME_KINESIS_ENDPOINT;
    if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    }
  }
  return new KinesisClient(config);
}

const REJECTED = new Set([
  "ValidationException",
  "InvalidArgumentException",
  "AccessDeniedException",
  "KMSAccessDeniedException",
  "KMSDisabledException",
  "KMSInvalidStateException",
  "KMSNotFoundException",
  "UnrecognizedClientException",
]);

/** A Kinesis failure as a ReeltimeError: a missing stream or a rejection is final, the rest is an outage. */
export function kinesisError(e: unknown, what: string, endpoint = "Kinesis"): ReeltimeError {
  if (e instanceof ReeltimeError) return e;
  const name = (e as Error)?.name ?? "";
  const message = (e as Error)?.message ?? String(e);
  if (name === "ResourceNotFoundException") {
    return new ReeltimeError(
      "REELTIME_ERR_BUS_TOPIC",
      `cannot ${what}: the stream does not exist (${message}); create it with ensureTopics or \`reeltime infra up\``,
      { cause: e },
    );
  }
  if (REJECTED.has(name)) {
    return new ReeltimeError("REELTIME_ERR_BUS_REJECTED", `kinesis refused to ${what}: ${name}: ${message}`, {
      cause: e,
    });
  }
  return unavailable("bus", `${endpoint} did not ${what}: ${name ? `${name}: ` : ""}${message}`, e);
}

export const isFinal = (e: unknown) =>
  e instanceof ReeltimeError
    ? !e.retryable
    : REJECTED.has((e as Error)?.name) || (e as Error)?.name === "ResourceNotFoundException";
