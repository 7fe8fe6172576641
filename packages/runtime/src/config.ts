import { type Static, type TObject, type TSchema, Type } from "@sinclair/typebox";
import { ReeltimeError } from "./errors.ts";

const Str = (def: string, description: string) => Type.String({ default: def, description });
const OptStr = (description: string) => Type.Optional(Type.String({ description }));
const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });
const Choice = <T extends string>(values: readonly T[], def: T, description: string) =>
  Type.Unsafe<T>({ type: "string", enum: [...values], default: def, description });
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });

/**
 * Every environment variable reeltime reads for its connections, with defaults for the
 * embedded mode on one machine. `reeltime config` prints them; the README's table is
 * generated from the descriptions.
 */
export const ConnectionEnv = Type.Object({
  REELTIME_DATA_DIR: Str(".reeltime/data", "where the embedded bus, search and filesystem archive keep their files"),
  REELTIME_BUS: Choice(["embedded", "kafka", "kinesis"] as const, "embedded", "the message bus driver"),
  REELTIME_BUS_TIMEOUT_MS: Int(
    4000,
    100,
    600_000,
    "longest a publish waits for the bus to acknowledge, retries included, before failing with a retryable 503",
  ),
  REELTIME_EMBEDDED_SEGMENT_BYTES: Int(
    64 * 1024 * 1024,
    4096,
    1024 * 1024 * 1024,
    "size at which the embedded bus starts a new segment file per partition",
  ),
  REELTIME_KAFKA_DRIVER: Choice(
    ["kafkajs", "platformatic"] as const,
    "kafkajs",
    "the Kafka client behind REELTIME_BUS=kafka: kafkajs (@reeltime/bus-kafka) or @platformatic/kafka (@reeltime/bus-kafka-platformatic)",
  ),
  REELTIME_KAFKA_BROKERS: Str("127.0.0.1:9092", "comma-separated Kafka bootstrap brokers (MSK: the TLS brokers)"),
  REELTIME_KAFKA_CLIENT_ID: Str("reeltime", "Kafka client id"),
  REELTIME_KAFKA_SSL: Bool(false, "use TLS to the brokers"),
  REELTIME_KAFKA_SASL_MECHANISM: Type.Optional(
    Type.Unsafe<"plain" | "scram-sha-256" | "scram-sha-512">({
      type: "string",
      enum: ["plain", "scram-sha-256", "scram-sha-512"],
      description: "SASL mechanism, when the cluster needs one",
    }),
  ),
  REELTIME_KAFKA_SASL_USERNAME: OptStr("SASL user name"),
  REELTIME_KAFKA_SASL_PASSWORD: OptStr("SASL password (never logged)"),
  REELTIME_KAFKA_COMPRESSION: Choice(["zstd", "lz4", "gzip", "none"] as const, "zstd", "producer compression codec"),
  REELTIME_KAFKA_LINGER_MS: Int(
    5,
    0,
    1000,
    "how long a produce request that is not full waits for more publishes to join it, counted from its oldest (Kafka's linger.ms; 0: send at once)",
  ),
  REELTIME_PARTITIONS: Int(4, 1, 1024, "partitions (Kafka) or shards (Kinesis) per topic created by reeltime"),
  REELTIME_KINESIS_ENDPOINT: OptStr("Kinesis endpoint override (kinesis-local: http://127.0.0.1:4568); unset for AWS"),
  REELTIME_KINESIS_LEASE_MS: Int(
    10_000,
    1000,
    600_000,
    "how long a Kinesis shard lease lasts unrenewed; another consumer of the group takes it over after that",
  ),
  REELTIME_KINESIS_POLL_MS: Int(
    1000,
    200,
    10_000,
    "pause between GetRecords calls on an idle shard (the service allows 5 calls per second per shard)",
  ),
  REELTIME_KINESIS_LEASES: Choice(
    ["fs", "dynamodb"] as const,
    "fs",
    "where Kinesis shard leases and checkpoints live: fs (files under REELTIME_DATA_DIR, one machine only, refused when REELTIME_ENV=production) or dynamodb (a table every host shares)",
  ),
  REELTIME_KINESIS_LEASE_TABLE: Str(
    "reeltime-kinesis-leases",
    "DynamoDB table of Kinesis shard leases (keys leaseGroup, leaseKey; created on first use when missing)",
  ),
  REELTIME_DYNAMODB_ENDPOINT: OptStr("DynamoDB endpoint override (dynalite: http://127.0.0.1:4569); unset for AWS"),
  AWS_REGION: Str("us-east-1", "AWS region for Kinesis, S3, SQS, Athena and Rekognition"),
  REELTIME_SEARCH: Choice(["embedded", "elasticsearch"] as const, "embedded", "the search store driver"),
  REELTIME_ES_URL: Str("http://127.0.0.1:9200", "Elasticsearch URL (Elastic Cloud: the deployment's endpoint)"),
  REELTIME_ES_API_KEY: OptStr("Elasticsearch API key (never logged)"),
  REELTIME_ES_USERNAME: OptStr("Elasticsearch user, when not using an API key"),
  REELTIME_ES_PASSWORD: OptStr("Elasticsearch password (never logged)"),
  REELTIME_ES_REPLICAS: Int(
    0,
    0,
    10,
    "replicas per index in reeltime's templates: 0 on one local node, 1 or more on a cluster",
  ),
  REELTIME_ARCHIVE: Choice(["fs", "s3"] as const, "fs", "the archive driver"),
  REELTIME_S3_BUCKET: Str("reeltime-archive", "bucket for the Parquet archive"),
  REELTIME_S3_ENDPOINT: OptStr("S3 endpoint override (local SeaweedFS: http://127.0.0.1:9000); unset for AWS S3"),
  REELTIME_QUERY: Choice(["duckdb", "athena", "trino"] as const, "duckdb", "the SQL engine over the archive"),
  REELTIME_ATHENA_DATABASE: Str("reeltime", "Glue/Athena database"),
  REELTIME_ATHENA_WORKGROUP: Str("reeltime", "Athena workgroup (holds the bytes-scanned cap)"),
  REELTIME_ATHENA_OUTPUT: OptStr("s3:// location for Athena query results, when the workgroup does not set one"),
  REELTIME_TRINO_URL: Str(
    "http://127.0.0.1:8090",
    "Trino coordinator (REELTIME_QUERY=trino; the local one from reeltime infra up)",
  ),
  REELTIME_TRINO_CATALOG: Str("hive", "Trino catalog holding the archive's tables (a Hive connector over the bucket)"),
  REELTIME_TRINO_SCHEMA: Str(
    "reeltime",
    "Trino schema of the archive's tables (reeltime analytics ddl --engine trino --apply)",
  ),
  REELTIME_TRINO_USER: Str("reeltime", "user name sent to Trino (X-Trino-User)"),
  REELTIME_PG_URL: Type.Optional(
    Type.String({
      pattern: "^(postgres|postgresql|memory)://",
      description:
        "PostgreSQL URL for the catalogue, uploads and notifier (postgres://user:pass@host:5432/db; never logged); unset: PGlite in-process under REELTIME_DATA_DIR/pglite; memory:// for an in-memory PGlite (tests)",
    }),
  ),
});
export type ConnectionEnv = Static<typeof ConnectionEnv>;

/** Variables whose values must never be printed or logged. */
export const SECRET_VARS = new Set([
  "REELTIME_KAFKA_SASL_PASSWORD",
  "REELTIME_ES_API_KEY",
  "REELTIME_ES_PASSWORD",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "REELTIME_REDIS_URL",
  "REELTIME_PG_URL",
]);

function coerce(schema: TSchema, raw: string): unknown {
  if (schema.type === "integer" || schema.type === "number") return raw.trim() === "" ? raw : Number(raw);
  if (schema.type === "boolean")
    return ["1", "true", "yes", "on"].includes(raw.toLowerCase())
      ? true
      : ["0", "false", "no", "off", ""].includes(raw.toLowerCase())
        ? false
        : raw;
  return raw;
}

/** Whether a coerced value satisfies its (flat) schema: enum, integer range, boolean, or string (with its pattern). */
function fits(schema: TSchema, value: unknown): boolean {
  if (schema.enum) return (schema.enum as unknown[]).includes(value);
  if (schema.type === "integer")
    return (
      Number.isInteger(value) &&
      (value as number) >= (schema.minimum ?? -Infinity) &&
      (value as number) <= (schema.maximum ?? Infinity)
    );
  if (schema.type === "boolean") return typeof value === "boolean";
  return typeof value === "string" && (schema.pattern === undefined || new RegExp(schema.pattern).test(value));
}

/**
 * Reads the variables of `schema` from `env`, applies defaults and checks them. A bad value
 * throws REELTIME_ERR_CONFIG naming every bad variable, what it holds wrong and what is allowed.
 */
export function loadEnv<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties) as [string, TSchema][]) {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      if (prop.default !== undefined) out[name] = prop.default;
      continue;
    }
    const value = coerce(prop, raw);
    if (!fits(prop, value)) {
      const shown = SECRET_VARS.has(name) ? "(hidden)" : JSON.stringify(raw);
      const allowed = prop.enum
        ? `one of ${(prop.enum as string[]).join(", ")}`
        : prop.type === "integer"
          ? `an integer from ${prop.minimum} to ${prop.maximum}`
          : prop.type === "boolean"
            ? "true or false"
            : String(prop.description ?? prop.type);
      problems.push(`${name}=${shown} is invalid: expected ${allowed}`);
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) throw new ReeltimeError("REELTIME_ERR_CONFIG", `bad configuration: ${problems.join("; ")}`);
  return out as Static<S>;
}

/** Rows for a settings table: name, default, description. */
export function describeEnv(schema: TObject): { name: string; default: string; description: string }[] {
  return (Object.entries(schema.properties) as [string, TSchema][]).map(([name, p]) => ({
    name,
    default: p.default === undefined ? "" : String(p.default),
    description: `${String(p.description ?? "")}${p.enum ? ` (${(p.enum as string[]).join(" | ")})` : ""}`,
  }));
}
