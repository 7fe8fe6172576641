import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_TOPICS } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, run } from "../exec.ts";
import { fetchMavenArtifacts } from "../install/maven.ts";
import { javaHome } from "../java.ts";
import { newKafkaClusterId, renderKafkaLog4j2, renderKafkaProperties } from "../render/kafka-config.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const BROKER_PORT = 9092;
const CONTROLLER_PORT = 9093;

function libsDir(ctx: ServiceContext): string {
  return join(ctx.settings.cacheDir, "kafka", VERSIONS.kafka, "libs");
}

async function admin() {
  const { Kafka, logLevel } = await import("kafkajs");
  const kafka = new Kafka({
    clientId: "reeltime-infra",
    brokers: [...LOCAL_ENDPOINTS.kafka.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 2, initialRetryTime: 200 },
  });
  return kafka.admin();
}

/** Apache Kafka, single-node KRaft (broker + controller in one JVM), from Maven Central jars. */
export const kafka: LocalService = {
  name: "kafka",
  ports: [BROKER_PORT, CONTROLLER_PORT],
  url: LOCAL_ENDPOINTS.kafka.brokers[0],
  startTimeoutMs: 120_000,

  async install(ctx) {
    return fetchMavenArtifacts(
      ctx,
      `Kafka ${VERSIONS.kafka} jars`,
      libsDir(ctx),
      [
        { groupId: "org.apache.kafka", artifactId: "kafka_2.13", version: VERSIONS.kafka },
        { groupId: "org.apache.logging.log4j", artifactId: "log4j-slf4j-impl", version: VERSIONS.log4jSlf4j },
      ],
      { transitive: true },
    );
  },

  async prepare(ctx) {
    const dataDir = join(ctx.dir, "data");
    const config = join(ctx.dir, "server.properties");
    const log4j = join(ctx.dir, "log4j2.properties");
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      config,
      renderKafkaProperties({
        host: "127.0.0.1",
        brokerPort: BROKER_PORT,
        controllerPort: CONTROLLER_PORT,
        dataDir,
        partitions: ctx.settings.kafkaPartitions,
      }),
    );
    writeFileSync(log4j, renderKafkaLog4j2());
    const java = join(await javaHome(), "bin", "java");
    const classpath = `${libsDir(ctx)}/*`;
    const jvm = ["-Djava.awt.headless=true", `-Dlog4j2.configurationFile=${log4j}`, "-cp", classpath];
    if (!existsSync(join(dataDir, "meta.properties"))) {
      ctx.progress("formatting KRaft storage");
      const res = await run(
        java,
        [...jvm, "kafka.tools.StorageTool", "format", "-t", newKafkaClusterId(), "-c", config, "--ignore-formatted"],
        { logFile: ctx.logFile, cwd: ctx.dir },
      );
      if (res.code !== 0) {
        throw new ReeltimeError(
          INFRA_ERRORS.health,
          `kafka storage format failed (${lastLine(res.output)}); see ${ctx.logFile}, or run \`reeltime infra down --purge\` ` +
            "to start from empty data",
        );
      }
    }
    return {
      command: java,
      args: ["-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", ...jvm, "kafka.Kafka", config],
      cwd: ctx.dir,
      env: { ...process.env },
    };
  },

  async probe() {
    const a = await admin();
    try {
      await a.connect();
      const cluster = await a.describeCluster();
      return { healthy: cluster.brokers.length > 0, version: VERSIONS.kafka, detail: `cluster ${cluster.clusterId}` };
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  },

  async provision(ctx) {
    const a = await admin();
    try {
      await a.connect();
      const partitions = ctx.settings.kafkaPartitions;
      const existing = new Set(await a.listTopics());
      const missing = ALL_TOPICS.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        });
      }
      const meta = await a.fetchTopicMetadata({ topics: [...ALL_TOPICS] });
      const grow = meta.topics.filter((t) => t.partitions.length < partitions).map((t) => t.name);
      if (grow.length > 0)
        await a.createPartitions({ topicPartitions: grow.map((topic) => ({ topic, count: partitions })) });
      return `topics ${ALL_TOPICS.join(", ")} (${partitions} partitions${missing.length ? `, created ${missing.length}` : ""})`;
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  },
};
