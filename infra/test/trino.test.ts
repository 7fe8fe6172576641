import { describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { renderTrinoConfig, renderTrinoHiveCatalog, trinoJvmArgs } from "../src/local/render/trino-config.ts";
import { SERVICES } from "../src/local/services/index.ts";

function parseProperties(text: string): Map<string, string> {
  return new Map(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]),
  );
}

describe("trino config", () => {
  const config = parseProperties(
    renderTrinoConfig({
      host: "127.0.0.1",
      port: 8090,
      pluginDir: "/s/trino/plugin",
      catalogDir: "/s/trino/etc/catalog",
    }),
  );
  const hive = parseProperties(
    renderTrinoHiveCatalog({
      metastoreDir: "/s/trino/metastore",
      s3: { endpoint: "http://127.0.0.1:9000", region: "us-east-1", accessKeyId: "k", secretAccessKey: "s" },
    }),
  );

  it("is one coordinator that runs its own work, bound and advertised on loopback only", () => {
    expect(config.get("coordinator")).toBe("true");
    expect(config.get("node-scheduler.include-coordinator")).toBe("true");
    expect(config.get("http-server.http.port")).toBe("8090");
    expect(config.get("discovery.uri")).toBe("http://127.0.0.1:8090");
    expect(config.get("node.bind-ip")).toBe("127.0.0.1");
    expect(config.get("node.internal-address")).toBe("127.0.0.1");
    expect(config.get("plugin.dir")).toBe("/s/trino/plugin");
    expect(config.get("catalog.config-dir")).toBe("/s/trino/etc/catalog");
  });

  it("keeps query memory inside a 1 GB heap with Trino's 30 % headroom", () => {
    const mb = (v: string | undefined) => Number(/^(\d+)MB$/.exec(v ?? "")?.[1]);
    expect(mb(config.get("query.max-memory-per-node")) + 0.3 * 1024).toBeLessThan(1024);
    expect(trinoJvmArgs("1G")).toEqual(expect.arrayContaining(["-Xms1G", "-Xmx1G", "-XX:+ExitOnOutOfMemoryError"]));
  });

  it("reads S3 through the native file system, path-style, with a file metastore and partition projection", () => {
    expect(hive.get("connector.name")).toBe("hive");
    expect(hive.get("hive.metastore")).toBe("file");
    expect(hive.get("local.location")).toBe("/s/trino/metastore");
    expect(hive.get("fs.native-s3.enabled")).toBe("true");
    expect(hive.get("s3.endpoint")).toBe("http://127.0.0.1:9000");
    expect(hive.get("s3.path-style-access")).toBe("true");
    expect(hive.get("s3.aws-access-key")).toBe("k");
    expect(hive.get("s3.aws-secret-key")).toBe("s");
    expect(hive.get("hive.partition-projection-enabled")).toBe("true");
    expect(hive.get("hive.ignore-absent-partitions")).toBe("true");
  });

  it("is registered on its own port, the one the endpoints name", () => {
    const t = SERVICES.find((s) => s.name === "trino")!;
    expect(t.ports).toEqual([LOCAL_ENDPOINTS.trino.port]);
    expect(t.url).toBe(`http://127.0.0.1:${LOCAL_ENDPOINTS.trino.port}`);
    expect(LOCAL_ENDPOINTS.trino.url).toBe(t.url);
  });
});
