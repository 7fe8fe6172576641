import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PidRecord } from "./process.ts";

/** Pid files live in <state>/run/<service>.json. */
export function pidFilePath(stateDir: string, service: string): string {
  return join(stateDir, "run", `${service}.json`);
}

export function readPidFile(stateDir: string, service: string): PidRecord | undefined {
  try {
    return JSON.parse(readFileSync(pidFilePath(stateDir, service), "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
}

export function writePidFile(stateDir: string, record: PidRecord): void {
  mkdirSync(join(stateDir, "run"), { recursive: true });
  writeFileSync(pidFilePath(stateDir, record.service), `${JSON.stringify(record, null, 2)}\n`);
}

export function removePidFile(stateDir: string, service: string): void {
  rmSync(pidFilePath(stateDir, service), { force: true });
}
