import type { LaunchSpec } from "../process.ts";
import type { InfraSettings } from "../settings.ts";

/** The services `reeltime infra` manages, in start-up report order. */
export const SERVICE_NAMES = [
  "kafka",
  "elasticsearch",
  "seaweedfs",
  "kinesis",
  "prometheus",
  "redis",
  "dynamodb",
  "postgres",
  "trino",
  "elasticsearch9",
  "nginx",
  "edge-shipper",
  "otelcol",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What a service gets while it is installed, started and checked. */
export interface ServiceContext {
  settings: InfraSettings;
  /** <stateDir>/<service>: config, data. */
  dir: string;
  /** <stateDir>/logs/<service>.log: the service's output and its install steps. */
  logFile: string;
  /** One progress line for the user. */
  progress(message: string): void;
}

/** One health probe's answer. */
export interface Health {
  healthy: boolean;
  version?: string;
  detail?: string;
}

/** A local service: how to install, configure, start, check and provision it. */
export interface LocalService {
  name: ServiceName;
  /** Every port it binds on 127.0.0.1, the client-facing one first. */
  ports: readonly number[];
  /** How clients reach it, for reports. */
  url: string;
  /** How long start-up may take before the health check fails. */
  startTimeoutMs: number;
  /**
   * The signal that asks it to stop (default SIGTERM). PostgreSQL's is SIGINT, its "fast"
   * shutdown (pg_ctl's default): SIGTERM is its "smart" shutdown, which waits for every client
   * to disconnect, so with pooled connections open it never ends before the SIGKILL.
   */
  stopSignal?: NodeJS.Signals;
  /** Needs Debian packages installed first (Prometheus, Redis, PostgreSQL). */
  needsApt?: boolean;
  /** Downloads/builds what is missing into the cache; resolves true when it had to fetch or build. */
  install(ctx: ServiceContext): Promise<boolean>;
  /** Writes config, formats storage, and says how to start the process. */
  prepare(ctx: ServiceContext): Promise<LaunchSpec>;
  /** One quick health check through the service's own API or official client. */
  probe(ctx: ServiceContext): Promise<Health>;
  /** Creates reeltime's topics/buckets/streams; idempotent. */
  provision?(ctx: ServiceContext): Promise<string | undefined>;
}
