import type { BaseOptions, SASLOptions } from "@platformatic/kafka";
import type { ConnectionEnv } from "@reeltime/runtime";

export type PlatformaticKafkaEnv = Pick<
  ConnectionEnv,
  | "REELTIME_KAFKA_BROKERS"
  | "REELTIME_KAFKA_CLIENT_ID"
  | "REELTIME_KAFKA_SSL"
  | "REELTIME_KAFKA_SASL_MECHANISM"
  | "REELTIME_KAFKA_SASL_USERNAME"
  | "REELTIME_KAFKA_SASL_PASSWORD"
  | "REELTIME_KAFKA_COMPRESSION"
  | "REELTIME_KAFKA_LINGER_MS"
  | "REELTIME_PARTITIONS"
  | "REELTIME_BUS_TIMEOUT_MS"
>;

const MECHANISMS = { plain: "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512" } as const;

export const brokersOf = (env: PlatformaticKafkaEnv) =>
  env.REELTIME_KAFKA_BROKERS.split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);

/**
 * What every client of this adapter shares (producer, consumers, admin): brokers, TLS, SASL, and
 * connection and retry budgets derived from REELTIME_BUS_TIMEOUT_MS as the kafkajs adapter does,
 * so a broker that is down fails a call within about that time instead of hanging.
 */
export function clientOptions(env: PlatformaticKafkaEnv, role: string): BaseOptions {
  const timeout = env.REELTIME_BUS_TIMEOUT_MS;
  const mechanism = env.REELTIME_KAFKA_SASL_MECHANISM;
  const sasl: SASLOptions | undefined =
    mechanism === undefined
      ? undefined
      : {
          mechanism: MECHANISMS[mechanism],
          username: env.REELTIME_KAFKA_SASL_USERNAME ?? "",
          password: env.REELTIME_KAFKA_SASL_PASSWORD ?? "",
        };
  return {
    clientId: `${env.REELTIME_KAFKA_CLIENT_ID}-${role}`,
    bootstrapBrokers: brokersOf(env),
    connectTimeout: Math.min(3000, Math.max(200, Math.floor(timeout / 3))),
    timeout: Math.max(timeout, 5000),
    retries: 5,
    retryDelay: Math.min(250, timeout),
    ...(env.REELTIME_KAFKA_SSL ? { tls: {} } : {}),
    ...(sasl ? { sasl } : {}),
  };
}
