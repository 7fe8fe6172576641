import { describe, expect, it } from "vitest";
import { elasticsearchMajors, LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { renderElasticsearchYml } from "../src/local/render/elasticsearch-config.ts";
import { SERVICES } from "../src/local/services/index.ts";
import { SERVICE_NAMES } from "../src/local/services/types.ts";
import { VERSIONS } from "../src/local/versions.ts";

describe("two local Elasticsearch majors", () => {
  it("runs Elasticsearch 9 as a service of its own, on ports no other service binds", () => {
    expect(SERVICE_NAMES).toContain("elasticsearch9");
    const es8 = SERVICES.find((s) => s.name === "elasticsearch")!;
    const es9 = SERVICES.find((s) => s.name === "elasticsearch9")!;
    expect(es8.ports).toEqual([9200, 9300]);
    expect(es9.ports).toEqual([9201, 9301]);
    expect(es9.url).toBe(LOCAL_ENDPOINTS.elasticsearch9.url);
    const ports = SERVICES.flatMap((s) => s.ports);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("pins one version of each major", () => {
    expect(VERSIONS.elasticsearch).toMatch(/^8\./);
    expect(VERSIONS.elasticsearch9).toMatch(/^9\./);
  });

  it("gives the second node a cluster and node name of its own, the first keeps its names", () => {
    const base = { host: "127.0.0.1", httpPort: 9201, transportPort: 9301, dataDir: "/d", logsDir: "/l" };
    const nine = renderElasticsearchYml({ ...base, clusterName: "reeltime-local-9", nodeName: "reeltime-es9" });
    expect(nine).toContain("cluster.name: reeltime-local-9\n");
    expect(nine).toContain("node.name: reeltime-es9\n");
    expect(nine).toContain("http.port: 9201\n");
    expect(nine).toContain("transport.port: 9301\n");
    const eight = renderElasticsearchYml(base);
    expect(eight).toContain("cluster.name: reeltime-local\n");
    expect(eight).toContain("node.name: reeltime-es\n");
  });
});

describe("elasticsearchMajors", () => {
  it("is the local 8 and 9 unless REELTIME_ES_URL / REELTIME_ES9_URL point elsewhere", () => {
    expect(elasticsearchMajors({})).toEqual([
      { major: "8", url: "http://127.0.0.1:9200" },
      { major: "9", url: "http://127.0.0.1:9201" },
    ]);
    expect(
      elasticsearchMajors({ REELTIME_ES_URL: "https://es8.example:443", REELTIME_ES9_URL: " https://es9.example " }),
    ).toEqual([
      { major: "8", url: "https://es8.example:443" },
      { major: "9", url: "https://es9.example" },
    ]);
  });
});
