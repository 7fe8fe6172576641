import { join } from "node:path";
import { displayPath } from "./context.ts";
import { readPidFile } from "./pid-files.ts";
import { ownedPids } from "./process.ts";
import { SERVICES } from "./services/index.ts";
import type { Health, ServiceName } from "./services/types.ts";
import { type InfraSettings, loadSettings } from "./settings.ts";

/** One service as `reeltime infra status` reports it. */
export interface ServiceStatus {
  name: ServiceName;
  url: string;
  port: number;
  ports: number[];
  /** PID of the process `up` started, when it is alive. */
  pid: number | null;
  /** True when a process `up` started is alive. */
  running: boolean;
  /** True when the service answers its health check (whoever started it). */
  healthy: boolean;
  version: string | null;
  detail: string | null;
  startedAt: string | null;
  log: string;
}

async function probeWithTimeout(fn: () => Promise<Health>, ms: number): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Health>((resolvePromise) => {
    timer = setTimeout(() => resolvePromise({ healthy: false, detail: `no answer within ${ms / 1000} s` }), ms);
  });
  try {
    return await Promise.race([
      fn().catch((err: unknown) => ({ healthy: false, detail: err instanceof Error ? err.message : String(err) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every local service: its pid file, whether that process lives, and one health probe. */
export async function status(opts: { settings?: InfraSettings } = {}): Promise<ServiceStatus[]> {
  const settings = opts.settings ?? loadSettings();
  return Promise.all(
    SERVICES.map(async (service): Promise<ServiceStatus> => {
      const record = readPidFile(settings.stateDir, service.name);
      const running = record !== undefined && ownedPids(record).length > 0;
      const ctx = {
        settings,
        dir: join(settings.stateDir, service.name),
        logFile: join(settings.logDir, `${service.name}.log`),
        progress: () => undefined,
      };
      const health = await probeWithTimeout(() => service.probe(ctx), 8000);
      const foreign = !running && health.healthy ? "answering, but not started by reeltime infra up" : undefined;
      return {
        name: service.name,
        url: service.url,
        port: service.ports[0]!,
        ports: [...service.ports],
        pid: running ? record.pid : null,
        running,
        healthy: health.healthy,
        version: health.healthy ? (health.version ?? record?.version ?? null) : null,
        detail: foreign ?? health.detail ?? null,
        startedAt: running ? record.startedAt : null,
        log: displayPath(ctx.logFile),
      };
    }),
  );
}
