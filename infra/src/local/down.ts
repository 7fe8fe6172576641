import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { displayPath } from "./context.ts";
import { INFRA_ERRORS } from "./errors.ts";
import { withInfraLock } from "./lock.ts";
import { readPidFile, removePidFile } from "./pid-files.ts";
import { stopRecord } from "./process.ts";
import { elasticsearchDir } from "./services/elasticsearch.ts";
import { elasticsearch9Dir } from "./services/elasticsearch9.ts";
import { SERVICES } from "./services/index.ts";
import { nginxDir } from "./services/nginx.ts";
import { postgresDir } from "./services/postgres.ts";
import type { ServiceName } from "./services/types.ts";
import { type InfraSettings, loadSettings } from "./settings.ts";

/** How `down` left one service. */
export interface ServiceDownResult {
  name: ServiceName;
  result: "not-started" | "not-running" | "stopped" | "killed" | "stuck";
  pid: number | null;
}

export interface DownOptions {
  settings?: InfraSettings;
  /** Also delete the services' data (everything in the state folder but the logs; with `only`, theirs only). */
  purge?: boolean;
  /** Stop only these services (default: all); fault drills stop one and start it again with `up`. */
  only?: readonly ServiceName[];
  print?: (line: string) => void;
}

/**
 * Services reeltime no longer runs, each with the service that took its place. `down` still
 * stops a process an older `up` started for one of them (its pid file is left in `run/`), so a
 * checkout that swapped MinIO for SeaweedFS does not leave MinIO holding port 9000: `down`, or
 * `down --only seaweedfs`, stops it too.
 */
export const RETIRED_SERVICES: Readonly<Record<string, ServiceName>> = { minio: "seaweedfs" };

/** How `down` left the process of a retired service (only reported when it had a pid file). */
export interface RetiredDownResult {
  name: string;
  result: "not-running" | "stopped" | "killed" | "stuck";
  pid: number;
}

/** Stops what an older `up` started for retired services whose successor is being stopped. */
export async function stopRetired(
  stateDir: string,
  stopTimeoutMs: number,
  only?: readonly ServiceName[],
): Promise<RetiredDownResult[]> {
  const out: RetiredDownResult[] = [];
  for (const [name, successor] of Object.entries(RETIRED_SERVICES)) {
    if (only && !only.includes(successor)) continue;
    const record = readPidFile(stateDir, name);
    if (!record) continue;
    const result = await stopRecord(record, stopTimeoutMs);
    if (result !== "stuck") removePidFile(stateDir, name);
    out.push({ name, result, pid: record.pid });
  }
  return out;
}

/**
 * What `down --purge` deletes: everything in the state folder but logs and pid files, plus the
 * folders of services that live elsewhere when the service user cannot reach the state folder
 * (Elasticsearch, PostgreSQL, nginx); with `only`, just those services' folders.
 */
export function purgePaths(stateDir: string, only?: readonly ServiceName[]): string[] {
  const outside: Partial<Record<ServiceName, string>> = {
    elasticsearch: elasticsearchDir(stateDir),
    elasticsearch9: elasticsearch9Dir(stateDir),
    postgres: postgresDir(stateDir),
    nginx: nginxDir(stateDir),
  };
  if (only) {
    return only.flatMap((name) => {
      const own = join(stateDir, name);
      const elsewhere = outside[name];
      return elsewhere && elsewhere !== own ? [own, elsewhere] : [own];
    });
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(stateDir);
  } catch {
    entries = [];
  }
  const inside = entries.filter((e) => e !== "logs" && e !== "run").map((e) => join(stateDir, e));
  const extra = Object.values(outside).filter((p): p is string => p !== undefined && !inside.includes(p));
  return [...inside, ...extra];
}

/**
 * Stops only the processes `up` started, found by their pid files (PID and start time must
 * match): SIGTERM, then SIGKILL after the stop timeout. Data stays unless `purge`.
 */
export async function down(opts: DownOptions = {}): Promise<ServiceDownResult[]> {
  const settings = opts.settings ?? loadSettings();
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  return withInfraLock(
    settings.stateDir,
    (pid) => print(`reeltime infra down: waiting for another reeltime infra command (pid ${pid}) to finish`),
    () => downLocked(opts, settings, print),
  );
}

async function downLocked(
  opts: DownOptions,
  settings: InfraSettings,
  print: (line: string) => void,
): Promise<ServiceDownResult[]> {
  const t0 = Date.now();
  const retired = stopRetired(settings.stateDir, settings.stopTimeoutMs, opts.only);
  const results = await Promise.all(
    SERVICES.filter((s) => !opts.only || opts.only.includes(s.name)).map(
      async (service): Promise<ServiceDownResult> => {
        const record = readPidFile(settings.stateDir, service.name);
        if (!record) return { name: service.name, result: "not-started", pid: null };
        const result = await stopRecord(record, settings.stopTimeoutMs, service.stopSignal);
        if (result !== "stuck") removePidFile(settings.stateDir, service.name);
        return { name: service.name, result, pid: record.pid };
      },
    ),
  );
  const retiredResults = await retired;
  for (const r of [...results, ...retiredResults.map((r) => ({ ...r, name: `${r.name} (retired)` }))]) {
    const what = {
      "not-started": "not started by reeltime infra up",
      "not-running": `was not running (stale pid ${r.pid})`,
      stopped: `stopped (pid ${r.pid})`,
      killed: `killed after ${settings.stopTimeoutMs / 1000} s (pid ${r.pid})`,
      stuck: `still running after SIGKILL (pid ${r.pid})`,
    }[r.result];
    print(`  ${r.name.padEnd(16)}${what}`);
  }
  if (opts.purge && !results.some((r) => r.result === "stuck")) {
    for (const path of purgePaths(settings.stateDir, opts.only)) rmSync(path, { recursive: true, force: true });
    print(
      `  purged ${opts.only ? `the data of ${opts.only.join(", ")}` : "data"} in ${displayPath(settings.stateDir)} (logs kept)`,
    );
  }
  print(`reeltime infra down: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const stuck = [...results, ...retiredResults].filter((r) => r.result === "stuck");
  if (stuck.length > 0) {
    throw new ReeltimeError(
      INFRA_ERRORS.stop,
      `could not stop ${stuck.map((r) => `${r.name} (pid ${r.pid})`).join(", ")} even with SIGKILL; check \`ps -o pid,stat,cmd -g <pid>\``,
    );
  }
  return results;
}
