import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { displayPath } from "./context.ts";
import { INFRA_ERRORS } from "./errors.ts";
import { withInfraLock } from "./lock.ts";
import { readPidFile, removePidFile } from "./pid-files.ts";
import { stopRecord } from "./process.ts";
import { elasticsearchDir } from "./services/elasticsearch.ts";
import { SERVICES } from "./services/index.ts";
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
  /** Also delete the services' data (everything in the state folder but the logs). */
  purge?: boolean;
  /** Stop only these services (default: all); fault drills stop one and start it again with `up`. */
  only?: readonly ServiceName[];
  print?: (line: string) => void;
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
  const results = await Promise.all(
    SERVICES.filter((s) => !opts.only || opts.only.includes(s.name)).map(
      async (service): Promise<ServiceDownResult> => {
        const record = readPidFile(settings.stateDir, service.name);
        if (!record) return { name: service.name, result: "not-started", pid: null };
        const result = await stopRecord(record, settings.stopTimeoutMs);
        if (result !== "stuck") removePidFile(settings.stateDir, service.name);
        return { name: service.name, result, pid: record.pid };
      },
    ),
  );
  for (const r of results) {
    const what = {
      "not-started": "not started by reeltime infra up",
      "not-running": `was not running (stale pid ${r.pid})`,
      stopped: `stopped (pid ${r.pid})`,
      killed: `killed after ${settings.stopTimeoutMs / 1000} s (pid ${r.pid})`,
      stuck: `still running after SIGKILL (pid ${r.pid})`,
    }[r.result];
    print(`  ${r.name.padEnd(14)}${what}`);
  }
  if (opts.purge && !results.some((r) => r.result === "stuck")) {
    let entries: string[] = [];
    try {
      entries = readdirSync(settings.stateDir);
    } catch {
      entries = [];
    }
    for (const entry of entries) {
      if (entry !== "logs" && entry !== "run") rmSync(join(settings.stateDir, entry), { recursive: true, force: true });
    }
    rmSync(elasticsearchDir(settings.stateDir), { recursive: true, force: true });
    print(`  purged data in ${displayPath(settings.stateDir)} (logs kept)`);
  }
  print(`reeltime infra down: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const stuck = results.filter((r) => r.result === "stuck");
  if (stuck.length > 0) {
    throw new ReeltimeError(
      INFRA_ERRORS.stop,
      `could not stop ${stuck.map((r) => `${r.name} (pid ${r.pid})`).join(", ")} even with SIGKILL; check \`ps -o pid,stat,cmd -g <pid>\``,
    );
  }
  return results;
}
