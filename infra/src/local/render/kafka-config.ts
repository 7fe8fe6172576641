import { randomBytes } from "node:crypto";

/** Inputs of a single-node KRaft broker+controller. */
export interface KafkaConfigInput {
  host: string;
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
  partitions: number;
}

/**
 * server.properties for one process that is both broker and controller. Every internal
 * topic has replication factor 1 (else consumer groups never get a coordinator) and topics
 * are only created by reeltime, never by auto-creation.
 */
export function renderKafkaProperties(c: KafkaConfigInput): string {
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${c.host}:${c.controllerPort}`,
    listeners: `PLAINTEXT://${c.host}:${c.brokerPort},CONTROLLER://${c.host}:${c.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${c.host}:${c.brokerPort}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": c.dataDir,
    "num.partitions": c.partitions,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 10,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    "auto.create.topics.enable": false,
    "group.initial.rebalance.delay.ms": 0,
    "log.retention.hours": 168,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`;
}

/** log4j2 config: everything to stdout, which `up` sends to .reeltime/infra/logs/kafka.log. */
export function renderKafkaLog4j2(): string {
  return [
    "status = warn",
    "appender.out.type = Console",
    "appender.out.name = STDOUT",
    "appender.out.layout.type = PatternLayout",
    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
    "rootLogger.level = INFO",
    "rootLogger.appenderRef.out.ref = STDOUT",
    "logger.state.name = state.change.logger",
    "logger.state.level = WARN",
    "",
  ].join("\n");
}

/** A cluster id as Kafka makes them: 16 random bytes, base64url without padding. */
export function newKafkaClusterId(): string {
  return randomBytes(16).toString("base64url");
}
