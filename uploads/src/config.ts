import { appSecrets, corsOrigins } from "@reeltime/http";
import { loadEnv, ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The video types an upload may announce unless REELTIME_UPLOAD_TYPES says otherwise. */
export const DEFAULT_UPLOAD_TYPES = ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska"] as const;

/** Environment of the upload API (connections come from ConnectionEnv, the database from @reeltime/database). */
export const UploadsEnv = Type.Object({
  PORT: Int(8082, 0, 65535, "upload API port"),
  HOST: Type.String({ default: "127.0.0.1", description: "address to bind (0.0.0.0 behind a load balancer)" }),
  REELTIME_ENV: Type.Unsafe<"development" | "production">({
    type: "string",
    enum: ["development", "production"],
    default: "development",
    description: "production refuses to start without write keys",
  }),
  REELTIME_WRITE_KEYS: Type.Optional(
    Type.String({ description: "write keys as app:key pairs, comma-separated (the ingest API's setting)" }),
  ),
  REELTIME_CORS_ORIGINS: Type.Optional(
    Type.String({
      description: "allowed browser origins per app: app=https://a.example|https://b.example;app2=... (as for ingest)",
    }),
  ),
  REELTIME_UPLOAD_MAX_BYTES: Int(5 * GiB, 1, 5 * 1024 * GiB, "largest upload an app may announce, in bytes"),
  REELTIME_UPLOAD_TYPES: Type.String({
    default: DEFAULT_UPLOAD_TYPES.join(","),
    description: "content types an upload may have, comma-separated",
  }),
  REELTIME_UPLOAD_QUOTA_BYTES: Int(
    100 * GiB,
    0,
    Number.MAX_SAFE_INTEGER,
    "bytes each app may start uploading per UTC day, counted in the database across replicas (0: no quota)",
  ),
  REELTIME_UPLOAD_PART_BYTES: Int(16 * MiB, 5 * MiB, 5 * GiB, "part size handed to clients (S3: 5 MiB to 5 GiB)"),
  REELTIME_UPLOAD_URL_SECONDS: Int(3600, 60, 7 * 24 * 3600, "how long a presigned part URL stays valid"),
  REELTIME_BODY_LIMIT_BYTES: Int(1_048_576, 1024, 16_777_216, "largest request body (a complete lists every part)"),
  REELTIME_PUBLISH_TIMEOUT_MS: Int(5000, 100, 60_000, "longest wait for the bus to acknowledge before answering 503"),
  REELTIME_UPLOAD_QUEUE_URL: Type.Optional(
    Type.String({
      pattern: "^https?://",
      description:
        "SQS queue of S3's Object Created events for uploads/ (the CDK output UploadNotificationsQueueUrl); unset: no bridge",
    }),
  ),
  REELTIME_UPLOAD_BRIDGE_GRACE_SECONDS: Int(
    600,
    0,
    43_200,
    "how long after S3 completed an upload the bridge leaves it to the client's own complete before completing it itself",
  ),
});
export type UploadsEnv = Static<typeof UploadsEnv>;

export interface UploadsConfig {
  env: UploadsEnv;
  /** write key → app id */
  writeKeys: Map<string, string>;
  /** app id → allowed origins */
  corsOrigins: Map<string, Set<string>>;
  /** allowed content types, lowercase, without parameters */
  types: Set<string>;
}

/** A content type as compared with the allowlist: lowercase, without parameters. */
export const bareType = (contentType: string): string => (contentType.split(";")[0] ?? "").trim().toLowerCase();

/** Reads and checks the upload API's configuration; production refuses to run without write keys. */
export function loadUploadsConfig(source: NodeJS.ProcessEnv = process.env): UploadsConfig {
  const env = loadEnv(UploadsEnv, source);
  const types = new Set(env.REELTIME_UPLOAD_TYPES.split(",").map(bareType).filter(Boolean));
  for (const t of types)
    if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t))
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `REELTIME_UPLOAD_TYPES: "${t}" is not a content type like video/mp4`,
      );
  if (types.size === 0)
    throw new ReeltimeError("REELTIME_ERR_CONFIG", "REELTIME_UPLOAD_TYPES: list at least one type, e.g. video/mp4");
  const config: UploadsConfig = {
    env,
    writeKeys: appSecrets(env.REELTIME_WRITE_KEYS, "REELTIME_WRITE_KEYS"),
    corsOrigins: corsOrigins(env.REELTIME_CORS_ORIGINS),
    types,
  };
  if (env.REELTIME_ENV === "production" && config.writeKeys.size === 0)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      "production needs REELTIME_WRITE_KEYS: set the apps' write keys (app:secret pairs) before starting",
    );
  return config;
}
