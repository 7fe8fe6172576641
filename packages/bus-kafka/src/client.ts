import { type ConnectionEnv, createLogger } from "@reeltime/runtime";
import kafkajs, { type Kafka, type KafkaConfig, type SASLOptions } from "kafkajs";

const { logLevel } = kafkajs;

export type KafkaBusEnv = Pick<
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

const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * The kafkajs client. Connection and retry budgets are derived from REELTIME_BUS_TIMEOUT_MS
 * so a broker that is down fails a publish within that time instead of hanging.
 */
export function createKafka(env: KafkaBusEnv): Kafka {
  const log = createLogger("reeltime-bus").child({ "bus.driver": "kafka" });
  const timeout = env.REELTIME_BUS_TIMEOUT_MS;
  const sasl =
    env.REELTIME_KAFKA_SASL_MECHANISM === undefined
      ? undefined
      : ({
          mechanism: env.REELTIME_KAFKA_SASL_MECHANISM,
          username: env.REELTIME_KAFKA_SASL_USERNAME ?? "",
          password: env.REELTIME_KAFKA_SASL_PASSWORD ?? "",
        } as SASLOptions);
  const config: KafkaConfig = {
    clientId: env.REELTIME_KAFKA_CLIENT_ID,
    brokers: env.REELTIME_KAFKA_BROKERS.split(",").map((b) => b.trim()),
    ssl: env.REELTIME_KAFKA_SSL,
    connectionTimeout: Math.min(3000, Math.max(200, Math.floor(timeout / 3))),
    requestTimeout: Math.max(timeout, 5000),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: Math.min(2000, timeout) },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      log[LEVELS[entry.level] ?? "info"]({ "kafka.namespace": entry.namespace, ...rest }, message);
    },
  };
  if (sasl) config.sasl = sasl;
  return new kafkajs.Kafka(config);
}
