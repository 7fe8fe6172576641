import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { displayPath, serviceContext } from "./context.ts";
import { RETIRED_SERVICES } from "./down.ts";
import { INFRA_ERRORS } from "./errors.ts";
import { lastLogLine, retry } from "./exec.ts";
import { waitUntil } from "./health.ts";
import { DEBIAN_PACKAGES, ensureDebianPackages } from "./install/apt.ts";
import { withInfraLock } from "./lock.ts";
import { readPidFile, removePidFile, writePidFile } from "./pid-files.ts";
import { describeOwners, isPortInUse, portOwners } from "./ports.ts";
import { ownedPids, spawnService, stopRecord } from "./process.ts";
import { formatUpSummary } from "./report.ts";
import { SERVICES } from "./services/index.ts";
import type { Health, LocalService, ServiceContext, ServiceName } from "./services/types.ts";
import { type InfraSettings, loadSettings } from "./settings.ts";
import type { ServiceUpResult, UpResult } from "./up-result.ts";

export type { ServiceUpResult, UpResult };

export interface UpOptions {
  settings?: InfraSettings;
  /** Start only these services (default: all). */
  only?: readonly ServiceName[];
  print?: (line: string) => void;
}

async function assertPortsFree(service: LocalService, stateDir: string): Promise<void> {
  for (const port of service.ports) {
    if (!(await isPortInUse(port))) continue;
    // A service reeltime no longer runs (MinIO), started by an older `up`: `down` stops it.
    for (const [name, successor] of Object.entries(RETIRED_SERVICES)) {
      const record = readPidFile(stateDir, name);
      if (record?.ports?.includes(port) && ownedPids(record).length > 0)
        throw new ReeltimeError(
          INFRA_ERRORS.portTaken,
          `port ${port} (${service.name}) is held by ${name} (pid ${record.pid}), which an older \`reeltime infra up\` ` +
            `started and reeltime no longer runs; stop it with \`reeltime infra down --only ${successor}\` and run \`up\` again`,
        );
    }
    const owners = await portOwners(port);
    throw new ReeltimeError(
      INFRA_ERRORS.portTaken,
      `port ${port} (${service.name}) is already in use by ${describeOwners(owners)}, which reeltime did not start; ` +
        "stop that process, or leave it and point reeltime at it with the env vars in docs/local-services.md",
    );
  }
}

async function probeHealthy(service: LocalService, ctx: ServiceContext): Promise<Health | undefined> {
  const health = await service.probe(ctx);
  return health.healthy ? health : undefined;
}

async function provision(service: LocalService, ctx: ServiceContext): Promise<string | undefined> {
  if (!service.provision) return undefined;
  const provisionFn = service.provision.bind(service);
  try {
    // Freshly started servers sometimes drop the first admin calls; creating resources is idempotent.
    return await retry(3, () => provisionFn(ctx), undefined, 1000);
  } catch (err) {
    throw new ReeltimeError(
      INFRA_ERRORS.provision,
      `${service.name} is up but creating reeltime's resources failed: ${err instanceof Error ? err.message : String(err)}` +
        ` (see ${displayPath(ctx.logFile)}; run \`reeltime infra up\` again)`,
    );
  }
}

async function startOne(
  service: LocalService,
  settings: InfraSettings,
  print: (line: string) => void,
  apt: Promise<unknown>,
): Promise<ServiceUpResult> {
  const started = Date.now();
  const ctx = serviceContext(service, settings, print);
  const log = displayPath(ctx.logFile);
  const existing = readPidFile(settings.stateDir, service.name);
  if (existing && ownedPids(existing).length > 0) {
    const health = await waitUntil(() => probeHealthy(service, ctx), { timeoutMs: service.startTimeoutMs });
    if (!health.ok) {
      throw new ReeltimeError(
        INFRA_ERRORS.health,
        `${service.name} is running (pid ${existing.pid}) but not healthy: ${health.reason}; see ${log}, then ` +
          "`reeltime infra down` and `reeltime infra up`",
      );
    }
    const provisioned = await provision(service, ctx);
    return {
      name: service.name,
      action: "already-running",
      pid: existing.pid,
      url: service.url,
      installed: false,
      ms: Date.now() - started,
      ...(health.value.version ? { version: health.value.version } : {}),
      ...(provisioned ? { provisioned } : {}),
    };
  }
  if (existing) removePidFile(settings.stateDir, service.name);
  await assertPortsFree(service, settings.stateDir);
  if (service.needsApt) await apt;
  const installed = await service.install(ctx);
  await assertPortsFree(service, settings.stateDir);
  const spec = await service.prepare(ctx);
  ctx.progress(`starting (log: ${log})`);
  const proc = await spawnService(service.name, spec, ctx.logFile, [...service.ports]);
  writePidFile(settings.stateDir, proc.record);
  const health = await waitUntil(() => probeHealthy(service, ctx), {
    timeoutMs: service.startTimeoutMs,
    abort: proc.exitInfo,
  });
  if (!health.ok) {
    const exited = proc.exitInfo();
    await stopRecord(proc.record, 10_000, service.stopSignal);
    removePidFile(settings.stateDir, service.name);
    const last = await lastLogLine(ctx.logFile);
    throw new ReeltimeError(
      exited ? INFRA_ERRORS.exited : INFRA_ERRORS.health,
      `${service.name} ${exited ? `${exited} during start-up` : `failed its health check: ${health.reason}`}` +
        `${last ? `; last log line: ${last}` : ""}; see ${log}`,
    );
  }
  if (health.value.version !== undefined) proc.record.version = health.value.version;
  writePidFile(settings.stateDir, proc.record);
  const provisioned = await provision(service, ctx);
  return {
    name: service.name,
    action: "started",
    pid: proc.record.pid,
    url: service.url,
    installed,
    ms: Date.now() - started,
    ...(health.value.version ? { version: health.value.version } : {}),
    ...(provisioned ? { provisioned } : {}),
  };
}

/**
 * Installs what is missing, starts every local service that is not already running (all at
 * once), waits until each is healthy and creates reeltime's topics, buckets and streams.
 * Idempotent. Throws a ReeltimeError naming what failed and what to do.
 */
export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const settings = opts.settings ?? loadSettings();
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  return withInfraLock(
    settings.stateDir,
    (pid) => print(`reeltime infra up: waiting for another reeltime infra command (pid ${pid}) to finish`),
    () => upLocked(opts, settings, print),
  );
}

async function upLocked(opts: UpOptions, settings: InfraSettings, print: (line: string) => void): Promise<UpResult> {
  const t0 = Date.now();
  mkdirSync(settings.logDir, { recursive: true });
  mkdirSync(settings.cacheDir, { recursive: true });
  print(`reeltime infra up: state in ${displayPath(settings.stateDir)}, cache in ${settings.cacheDir}`);

  const aptStarted = Date.now();
  const aptProgress = (message: string) => print(`  ${"apt".padEnd(16)}${message}`);
  const apt = ensureDebianPackages(DEBIAN_PACKAGES, join(settings.logDir, "apt.log"), aptProgress).then(
    (installed) => ({
      installed,
      ms: Date.now() - aptStarted,
    }),
  );
  apt.catch(() => undefined);

  const wanted = SERVICES.filter((s) => !opts.only || opts.only.includes(s.name));
  const settled = await Promise.allSettled(wanted.map((s) => startOne(s, settings, print, apt)));
  const aptResult = await apt.then(
    (r) => ({ ok: true as const, ...r }),
    (err: unknown) => ({ ok: false as const, err }),
  );

  const services: ServiceUpResult[] = [];
  const failures: { name: string; err: unknown }[] = [];
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") services.push(s.value);
    else failures.push({ name: wanted[i]!.name, err: s.reason });
  });
  if (!aptResult.ok) failures.push({ name: "apt", err: aptResult.err });

  const result: UpResult = {
    cold: services.some((s) => s.installed) || (aptResult.ok && aptResult.installed.length > 0),
    totalMs: Date.now() - t0,
    apt: aptResult.ok ? { ms: aptResult.ms, installed: aptResult.installed } : { ms: 0, installed: [] },
    services,
  };
  print(formatUpSummary(result, failures.length));
  if (failures.length === 0) return result;
  for (const f of failures) {
    print(`  ✘ ${f.name}: ${f.err instanceof Error ? f.err.message : String(f.err)}`);
  }
  if (failures.length === 1 && failures[0]!.err instanceof ReeltimeError) throw failures[0]!.err;
  throw new ReeltimeError(
    INFRA_ERRORS.up,
    `${failures.length} of ${wanted.length} local services failed to start (${failures.map((f) => f.name).join(", ")}); ` +
      `see the messages above and ${displayPath(settings.logDir)}/<service>.log`,
  );
}
