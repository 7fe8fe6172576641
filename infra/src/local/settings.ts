import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";

/** Where downloads/builds are cached (outside the repo) and where runtime state lives (inside it). */
export interface InfraSettings {
  /** Downloads and builds: Maven repository, Go module/build cache, SeaweedFS binary. */
  cacheDir: string;
  /** Data, logs and pid files of the running services. */
  stateDir: string;
  logDir: string;
  kafkaPartitions: number;
  kinesisShards: number;
  /** Seconds `down` waits after SIGTERM before it sends SIGKILL. */
  stopTimeoutMs: number;
}

/** The repository root: this file is infra/src/local/settings.ts. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new ReeltimeError("REELTIME_ERR_CONFIG", `${name}=${JSON.stringify(raw)} must be a positive integer`);
  }
  return n;
}

/** Reads the infra settings from env: REELTIME_CACHE_DIR, REELTIME_STATE_DIR, REELTIME_KAFKA_PARTITIONS, REELTIME_KINESIS_SHARDS. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): InfraSettings {
  const cacheDir = resolve(env.REELTIME_CACHE_DIR?.trim() || join(homedir(), ".cache", "reeltime"));
  const stateDir = resolve(env.REELTIME_STATE_DIR?.trim() || join(REPO_ROOT, ".reeltime", "infra"));
  return {
    cacheDir,
    stateDir,
    logDir: join(stateDir, "logs"),
    kafkaPartitions: positiveInt(env, "REELTIME_KAFKA_PARTITIONS", 4),
    kinesisShards: positiveInt(env, "REELTIME_KINESIS_SHARDS", 2),
    stopTimeoutMs: positiveInt(env, "REELTIME_INFRA_STOP_TIMEOUT_S", 30) * 1000,
  };
}
