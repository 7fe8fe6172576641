import { findErrorBy } from "@platformatic/kafka";
import { ReeltimeError, unavailable } from "@reeltime/runtime";

/** Broker answers that retrying cannot fix: they name a setting or a topic to change (as @reeltime/bus-kafka's). */
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

/** The first broker rejection anywhere in an error (@platformatic/kafka nests them in MultipleErrors and causes). */
export function rejectionOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  for (const type of Object.keys(REJECTIONS)) if (findErrorBy(e, "apiId", type)) return type;
  return undefined;
}

/** Whether the coordinator answered that this member must rejoin (fenced, rebalancing, unknown member). */
export function needsRejoin(e: unknown): boolean {
  return e instanceof Error && findErrorBy(e, "needsRejoin", true) !== null;
}

/** A @platformatic/kafka failure as a ReeltimeError: rejections keep their reason, everything else is an outage. */
export function kafkaError(e: unknown, brokers: string, what: string): ReeltimeError {
  if (e instanceof ReeltimeError) return e;
  const type = rejectionOf(e);
  if (type)
    return new ReeltimeError("REELTIME_ERR_BUS_REJECTED", `kafka refused to ${what}: ${REJECTIONS[type]} (${type})`, {
      cause: e,
    });
  return unavailable("bus", `kafka at ${brokers} did not ${what}: ${(e as Error)?.message ?? String(e)}`, e);
}
