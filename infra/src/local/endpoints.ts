/** Where `reeltime infra up` serves each local service; everything binds to 127.0.0.1. */
export const LOCAL_ENDPOINTS = {
  region: "us-east-1",
  kafka: { brokers: ["127.0.0.1:9092"], controller: "127.0.0.1:9093" },
  elasticsearch: { url: "http://127.0.0.1:9200" },
  /** The second, Elasticsearch 9 node: the integration tier runs the search proofs on both majors. */
  elasticsearch9: { port: 9201, transportPort: 9301, url: "http://127.0.0.1:9201" },
  s3: {
    endpoint: "http://127.0.0.1:9000",
    accessKeyId: "reeltime",
    secretAccessKey: "reeltime-local-secret",
    forcePathStyle: true,
    buckets: { archive: "reeltime-archive", media: "reeltime-media", uploads: "reeltime-uploads" },
  },
  kinesis: { endpoint: "http://127.0.0.1:4568", accessKeyId: "local", secretAccessKey: "local" },
  /**
   * The local HTTP cache in front of the media bucket (Debian's nginx, CloudFront's stand-in),
   * its POP name in the logs, and the Kinesis stream its access log is shipped to in CloudFront's
   * real-time log layout (the `edge-shipper` service; its health on `shipperPort`).
   */
  edge: {
    port: 8081,
    url: "http://127.0.0.1:8081",
    location: "LOC1-C1",
    realtimeLogStream: "reeltime.cdn.realtime",
    shipperPort: 8083,
  },
  prometheus: { url: "http://127.0.0.1:9090" },
  /**
   * Trino's coordinator (REELTIME_TRINO_URL): 8090 because 8080, Trino's default, is the ingest
   * API's. Its `hive` catalog reads the archive bucket on the local S3 endpoint above.
   */
  trino: { port: 8090, url: "http://127.0.0.1:8090", catalog: "hive", user: "reeltime" },
  redis: { port: 6380, url: "redis://127.0.0.1:6380" },
  dynamodb: { endpoint: "http://127.0.0.1:4569", leaseTable: "reeltime-kinesis-leases" },
  /** The local OpenTelemetry Collector's OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_ENDPOINT). */
  otel: { port: 4570, endpoint: "http://127.0.0.1:4570" },
  /**
   * Debian's PostgreSQL (REELTIME_PG_URL): 5433 because 5432 is the port of the cluster
   * Debian's own `postgresql` package creates. Fixed development credentials.
   */
  postgres: {
    port: 5433,
    user: "reeltime",
    password: "reeltime-local-secret",
    database: "reeltime",
    url: "postgres://reeltime:reeltime-local-secret@127.0.0.1:5433/reeltime",
  },
} as const;

/** Local endpoints, or external clusters when the documented env vars are set (docs/local-services.md). */
export interface Endpoints {
  region: string;
  kafka: { brokers: string[] };
  elasticsearch: { url: string; apiKey?: string };
  s3: {
    endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
    bucket: string;
  };
  kinesis: { endpoint?: string; accessKeyId?: string; secretAccessKey?: string };
  athena: { workgroup?: string; output?: string };
  prometheus: { url: string };
  /** PostgreSQL URL (REELTIME_PG_URL), with its credentials. */
  postgres: { url: string };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** The value of REELTIME_S3_ENDPOINT / REELTIME_KINESIS_ENDPOINT that selects AWS's own endpoints. */
export const AWS_ENDPOINT = "aws";

/**
 * Resolves the endpoints reeltime talks to: each env var that is set points at an external
 * cluster (Kafka/MSK, Elastic Cloud, AWS S3, Kinesis, Athena, PostgreSQL); anything unset stays local.
 * `REELTIME_S3_ENDPOINT=aws` / `REELTIME_KINESIS_ENDPOINT=aws` use AWS's regional endpoints;
 * external S3/Kinesis take credentials from the standard AWS chain (env, profile, role).
 */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const s3Endpoint = nonEmpty(env.REELTIME_S3_ENDPOINT);
  const kinesisEndpoint = nonEmpty(env.REELTIME_KINESIS_ENDPOINT);
  const brokers = nonEmpty(env.REELTIME_KAFKA_BROKERS);
  const esApiKey = nonEmpty(env.REELTIME_ES_API_KEY);
  const workgroup = nonEmpty(env.REELTIME_ATHENA_WORKGROUP);
  const output = nonEmpty(env.REELTIME_ATHENA_OUTPUT);
  const bucket = nonEmpty(env.REELTIME_S3_BUCKET) ?? LOCAL_ENDPOINTS.s3.buckets.archive;
  return {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? LOCAL_ENDPOINTS.region,
    kafka: { brokers: brokers ? brokers.split(",").map((b) => b.trim()) : [...LOCAL_ENDPOINTS.kafka.brokers] },
    elasticsearch: {
      url: nonEmpty(env.REELTIME_ES_URL) ?? LOCAL_ENDPOINTS.elasticsearch.url,
      ...(esApiKey ? { apiKey: esApiKey } : {}),
    },
    s3:
      s3Endpoint === undefined
        ? {
            endpoint: LOCAL_ENDPOINTS.s3.endpoint,
            accessKeyId: LOCAL_ENDPOINTS.s3.accessKeyId,
            secretAccessKey: LOCAL_ENDPOINTS.s3.secretAccessKey,
            forcePathStyle: true,
            bucket,
          }
        : {
            ...(s3Endpoint === AWS_ENDPOINT ? {} : { endpoint: s3Endpoint }),
            forcePathStyle: env.REELTIME_S3_FORCE_PATH_STYLE === "true",
            bucket,
          },
    kinesis:
      kinesisEndpoint === undefined
        ? {
            endpoint: LOCAL_ENDPOINTS.kinesis.endpoint,
            accessKeyId: LOCAL_ENDPOINTS.kinesis.accessKeyId,
            secretAccessKey: LOCAL_ENDPOINTS.kinesis.secretAccessKey,
          }
        : kinesisEndpoint === AWS_ENDPOINT
          ? {}
          : { endpoint: kinesisEndpoint },
    athena: { ...(workgroup ? { workgroup } : {}), ...(output ? { output } : {}) },
    prometheus: { url: nonEmpty(env.REELTIME_PROMETHEUS_URL) ?? LOCAL_ENDPOINTS.prometheus.url },
    postgres: { url: nonEmpty(env.REELTIME_PG_URL) ?? LOCAL_ENDPOINTS.postgres.url },
  };
}

/**
 * The Elasticsearch servers the integration tier proves the search path on, one per major users
 * run: REELTIME_ES_URL (default the local 8.x) and REELTIME_ES9_URL (default the local 9.x, the
 * `elasticsearch9` service). The adapter's one v8 client serves both.
 */
export function elasticsearchMajors(env: NodeJS.ProcessEnv = process.env): { major: "8" | "9"; url: string }[] {
  return [
    { major: "8", url: nonEmpty(env.REELTIME_ES_URL) ?? LOCAL_ENDPOINTS.elasticsearch.url },
    { major: "9", url: nonEmpty(env.REELTIME_ES9_URL) ?? LOCAL_ENDPOINTS.elasticsearch9.url },
  ];
}

/**
 * The connection variables that point reeltime at the local services (Kafka, Elasticsearch,
 * the local S3 server (SeaweedFS) with its credentials, PostgreSQL), for tests, the fault drill and scripts.
 */
export function localServicesEnv(): Record<string, string> {
  return {
    REELTIME_BUS: "kafka",
    REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(","),
    REELTIME_SEARCH: "elasticsearch",
    REELTIME_ES_URL: LOCAL_ENDPOINTS.elasticsearch.url,
    REELTIME_ARCHIVE: "s3",
    REELTIME_S3_ENDPOINT: LOCAL_ENDPOINTS.s3.endpoint,
    REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.archive,
    AWS_ACCESS_KEY_ID: LOCAL_ENDPOINTS.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_ENDPOINTS.s3.secretAccessKey,
    AWS_REGION: LOCAL_ENDPOINTS.region,
    REELTIME_PG_URL: LOCAL_ENDPOINTS.postgres.url,
  };
}

/** How reeltime starts Debian's Chromium headless here: as root, with no network of its own, autoplay on. */
export const CHROMIUM = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
  ],
} as const;
