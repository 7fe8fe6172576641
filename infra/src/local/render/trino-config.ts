/** Inputs of a single-node Trino (coordinator and worker in one JVM) on loopback. */
export interface TrinoConfigInput {
  host: string;
  port: number;
  /** Holds only the plugins reeltime uses (links into the distribution), so start-up loads one. */
  pluginDir: string;
  catalogDir: string;
}

/**
 * config.properties: the coordinator schedules work on itself, binds and advertises loopback
 * only, and keeps query memory well inside the 1 GB heap (Trino refuses a query that would pass
 * query.max-memory-per-node instead of running the JVM out of memory). The node.* settings sit
 * here because reeltime starts the JVM itself, without the launcher that merges node.properties.
 */
export function renderTrinoConfig(c: TrinoConfigInput): string {
  return [
    "coordinator=true",
    "node-scheduler.include-coordinator=true",
    `http-server.http.port=${c.port}`,
    `discovery.uri=http://${c.host}:${c.port}`,
    "node.environment=reeltime",
    "node.id=reeltime-local",
    `node.bind-ip=${c.host}`,
    `node.internal-address=${c.host}`,
    `plugin.dir=${c.pluginDir}`,
    `catalog.config-dir=${c.catalogDir}`,
    "query.max-memory=384MB",
    "query.max-memory-per-node=384MB",
    // Two shared cores: few task threads, and no slow-start warnings for the lack of more.
    "task.concurrency=2",
    "task.max-worker-threads=4",
    "",
  ].join("\n");
}

/** Inputs of the `hive` catalog: a file metastore on local disk, the data on S3. */
export interface TrinoHiveInput {
  metastoreDir: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
}

/**
 * catalog/hive.properties: the Hive connector with a file metastore (table definitions on local
 * disk, no metastore service) over S3 through Trino's native S3 file system, path-style, on the
 * local endpoint. Partition projection needs `hive.ignore-absent-partitions`: a projected
 * partition without files is an empty partition, not an error.
 */
export function renderTrinoHiveCatalog(c: TrinoHiveInput): string {
  return [
    "connector.name=hive",
    "hive.metastore=file",
    "hive.metastore.catalog.dir=local:///",
    "fs.native-local.enabled=true",
    `local.location=${c.metastoreDir}`,
    "fs.native-s3.enabled=true",
    `s3.endpoint=${c.s3.endpoint}`,
    `s3.region=${c.s3.region}`,
    "s3.path-style-access=true",
    `s3.aws-access-key=${c.s3.accessKeyId}`,
    `s3.aws-secret-key=${c.s3.secretAccessKey}`,
    "hive.partition-projection-enabled=true",
    "hive.ignore-absent-partitions=true",
    // Generated tables point at the archive's prefixes; creating one there is what --apply does.
    "hive.non-managed-table-writes-enabled=false",
    "",
  ].join("\n");
}

/** JVM options: a small fixed heap and the flags Trino's own jvm.config asks for on Java 25. */
export function trinoJvmArgs(heap: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:+EnableDynamicAgentLoading",
    "-Djdk.attach.allowAttachSelf=true",
    "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow",
    "-Dfile.encoding=UTF-8",
  ];
}
