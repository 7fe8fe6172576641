/** Inputs of a single-node Elasticsearch on loopback. */
export interface ElasticsearchConfigInput {
  host: string;
  httpPort: number;
  transportPort: number;
  dataDir: string;
  logsDir: string;
  /** Default `reeltime-local` (Elasticsearch 8); a second node of another major gets a cluster of its own. */
  clusterName?: string;
  /** Default `reeltime-es`. */
  nodeName?: string;
}

/**
 * elasticsearch.yml: one node, loopback only (so bootstrap checks stay warnings), security
 * off (plain HTTP on 127.0.0.1), disk watermarks off (shared dev disks fill up).
 */
export function renderElasticsearchYml(c: ElasticsearchConfigInput): string {
  return [
    `cluster.name: ${c.clusterName ?? "reeltime-local"}`,
    `node.name: ${c.nodeName ?? "reeltime-es"}`,
    `path.data: ${JSON.stringify(c.dataDir)}`,
    `path.logs: ${JSON.stringify(c.logsDir)}`,
    `network.host: ${c.host}`,
    `http.port: ${c.httpPort}`,
    `transport.port: ${c.transportPort}`,
    "discovery.type: single-node",
    "xpack.security.enabled: false",
    "cluster.routing.allocation.disk.threshold_enabled: false",
    "action.destructive_requires_name: false",
    "",
  ].join("\n");
}

/** JVM heap options (min = max so the heap is fixed). */
export function renderElasticsearchHeap(heap: string): string {
  return `-Xms${heap}\n-Xmx${heap}\n`;
}
