import { ReeltimeError, unavailable } from "@reeltime/runtime";

/** Broker answers that retrying cannot fix: they name a setting or a topic to change. */
const REJECTIONS: Record<string, string> = {
  MESSAGE_TOO_LARGE: "a record batch is larger than the topic's max.message.bytes",
  RECORD_LIST_TOO_LARGE: "a record batch is larger than the topic's max.message.bytes",
  TOPIC_AUTHORIZATION_FAILED: "the client may not write this topic: grant it in the cluster's ACLs",
  CLUSTER_AUTHORIZATION_FAILED: "the client lacks cluster permissions (idempotent writes need IdempotentWrite)",
  GROUP_AUTHORIZATION_FAILED: "the client may not use this consumer group: grant it in the cluster's ACLs",
  INVALID_TOPIC_EXCEPTION: "the topic name is invalid",
  UNSUPPORTED_COMPRESSION_TYPE: "the broker rejects this compression: set REELTIME_KAFKA_COMPRESSION",
  SASL_AUTHENTICATION_FAILED: "SASL authentication failed: check REELTIME_KAFKA_SASL_*",
};

function protocolType(e: unknown): string | undefined {
  for (let cur = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined; cur; ) {
    if (typeof cur.type === "string" && cur.type in REJECTIONS) return cur.type;
    cur = (cur.originalError ?? cur.cause) as typeof cur;
  }
  return undefined;
}

/** A kafkajs failure as a ReeltimeError: rejections keep their reason, everything else is an outage. */
export function kafkaError(e: unknown, brokers: string, what: string): ReeltimeError {
  if (e instanceof ReeltimeError) return e;
  const type = protocolType(e);
  if (type) {
    return new ReeltimeError("REELTIME_ERR_BUS_REJECTED", `kafka refused to ${what}: ${REJECTIONS[type]} (${type})`, {
      cause: e,
    });
  }
  return unavailable("bus", `kafka at ${brokers} did not ${what}: ${(e as Error)?.message ?? String(e)}`, e);
}
