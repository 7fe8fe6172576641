import { describe, expect, it } from "vitest";
import { renderElasticsearchHeap, renderElasticsearchYml } from "../src/local/render/elasticsearch-config.ts";
import { newKafkaClusterId, renderKafkaLog4j2, renderKafkaProperties } from "../src/local/render/kafka-config.ts";
import { renderFetchPom } from "../src/local/render/maven-pom.ts";
import { renderPrometheusYml } from "../src/local/render/prometheus-config.ts";

function parseProperties(text: string): Map<string, string> {
  return new Map(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]),
  );
}

describe("kafka config", () => {
  const props = parseProperties(
    renderKafkaProperties({ host: "127.0.0.1", brokerPort: 9092, controllerPort: 9093, dataDir: "/d", partitions: 6 }),
  );

  it("runs broker and controller in one process on loopback", () => {
    expect(props.get("process.roles")).toBe("broker,controller");
    expect(props.get("listeners")).toBe("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
    expect(props.get("advertised.listeners")).toBe("PLAINTEXT://127.0.0.1:9092");
    expect(props.get("controller.quorum.voters")).toBe("1@127.0.0.1:9093");
  });

  it("gives every internal topic replication factor 1 and never auto-creates topics", () => {
    expect(props.get("offsets.topic.replication.factor")).toBe("1");
    expect(props.get("transaction.state.log.replication.factor")).toBe("1");
    expect(props.get("transaction.state.log.min.isr")).toBe("1");
    expect(props.get("share.coordinator.state.topic.replication.factor")).toBe("1");
    expect(props.get("auto.create.topics.enable")).toBe("false");
    expect(props.get("num.partitions")).toBe("6");
    expect(props.get("log.dirs")).toBe("/d");
  });

  it("logs to stdout so the service log captures it", () => {
    expect(renderKafkaLog4j2()).toContain("appender.out.type = Console");
  });

  it("makes cluster ids the way Kafka does (16 bytes, base64url, no padding)", () => {
    const id = newKafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, "base64url")).toHaveLength(16);
    expect(newKafkaClusterId()).not.toBe(id);
  });
});

describe("elasticsearch config", () => {
  const yml = renderElasticsearchYml({
    host: "127.0.0.1",
    httpPort: 9200,
    transportPort: 9300,
    dataDir: "/state/es data",
    logsDir: "/state/logs",
  });

  it("is one node on loopback with plain HTTP", () => {
    expect(yml).toContain("network.host: 127.0.0.1\n");
    expect(yml).toContain("http.port: 9200\n");
    expect(yml).toContain("discovery.type: single-node\n");
    expect(yml).toContain("xpack.security.enabled: false\n");
  });

  it("quotes paths", () => {
    expect(yml).toContain('path.data: "/state/es data"\n');
  });

  it("fixes the heap", () => {
    expect(renderElasticsearchHeap("1g")).toBe("-Xms1g\n-Xmx1g\n");
  });
});

describe("prometheus config", () => {
  it("scrapes itself and reeltime's file_sd targets", () => {
    const yml = renderPrometheusYml({
      selfAddress: "127.0.0.1:9090",
      targetsGlob: "/s/prometheus/targets/*.json",
      scrapeIntervalSeconds: 5,
    });
    expect(yml).toContain('- targets: ["127.0.0.1:9090"]');
    expect(yml).toContain("job_name: reeltime");
    expect(yml).toContain('- files: ["/s/prometheus/targets/*.json"]');
    expect(yml).toContain("scrape_interval: 5s");
  });
});

describe("maven fetch pom", () => {
  it("lists each dependency, with its type when not a jar", () => {
    const pom = renderFetchPom("fetch", [
      { groupId: "org.apache.kafka", artifactId: "kafka_2.13", version: "4.1.1" },
      { groupId: "g", artifactId: "a", version: "1", type: "zip" },
    ]);
    expect(pom).toContain(
      "<groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>4.1.1</version></dependency>",
    );
    expect(pom).toContain("<version>1</version><type>zip</type>");
    expect(pom).toContain("<packaging>pom</packaging>");
  });
});
