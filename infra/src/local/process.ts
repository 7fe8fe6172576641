import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";

/** How a service is started: a command line, run without a shell, detached in its own process group. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Run as this unprivileged user (Elasticsearch refuses root). */
  user?: { uid: number; gid: number };
}

/** What `up` remembers about a process it started, so `down` can stop exactly that one. */
export interface PidRecord {
  service: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22): guards against PID reuse. */
  startTicks: number;
  command: string;
  startedAt: string;
  ports: number[];
  version?: string;
}

/** Parses /proc/<pid>/stat text into the fields status/stop need. */
export function parseProcStat(text: string): { state: string; pgrp: number; startTicks: number } | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(" ");
  // rest[0] is field 3 (state); pgrp is field 5, starttime field 22.
  const pgrp = Number(rest[2]);
  const startTicks = Number(rest[19]);
  if (!Number.isFinite(pgrp) || !Number.isFinite(startTicks)) return undefined;
  return { state: rest[0] ?? "?", pgrp, startTicks };
}

/** Reads /proc/<pid>/stat; a zombie counts as gone. */
function readStat(pid: number): { pgrp: number; startTicks: number } | undefined {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return stat && stat.state !== "Z" ? stat : undefined;
  } catch {
    return undefined;
  }
}

/** Start ticks of a live process, or undefined when there is no such process. */
export function processStartTicks(pid: number): number | undefined {
  return readStat(pid)?.startTicks;
}

/** True while the exact process of the record (same PID and start time) is alive. */
export function isRecordAlive(record: PidRecord): boolean {
  return processStartTicks(record.pid) === record.startTicks;
}

/**
 * Every live process that belongs to what `up` started: the leader and its process group,
 * born no earlier than the leader. Empty when the PID now belongs to someone else.
 */
export function ownedPids(record: PidRecord): number[] {
  const leader = processStartTicks(record.pid);
  if (leader !== undefined && leader !== record.startTicks) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === record.pid && stat.startTicks >= record.startTicks) pids.push(Number(entry));
  }
  return pids;
}

/** A started service process; `exitInfo()` tells whether it already died (for fast failure). */
export interface Started {
  record: PidRecord;
  child: ChildProcess;
  exitInfo: () => string | undefined;
}

/** Starts a service detached (own session and process group) with stdout/stderr appended to its log. */
export async function spawnService(
  service: string,
  spec: LaunchSpec,
  logFile: string,
  ports: number[],
): Promise<Started> {
  const fd = openSync(logFile, "a");
  writeSync(
    fd,
    `\n[${new Date().toISOString()}] reeltime infra: starting ${service}: ${spec.command} ${spec.args.join(" ")}\n`,
  );
  let exited: string | undefined;
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["ignore", fd, fd],
    ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
  });
  closeSync(fd);
  await new Promise<void>((resolvePromise, reject) => {
    child.once("spawn", () => resolvePromise());
    child.once("error", reject);
  });
  child.on("exit", (code, signal) => {
    exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  child.unref();
  const pid = child.pid!;
  const record: PidRecord = {
    service,
    pid,
    startTicks: processStartTicks(pid) ?? 0,
    command: [spec.command, ...spec.args].join(" "),
    startedAt: new Date().toISOString(),
    ports,
  };
  return { record, child, exitInfo: () => exited };
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops what a record describes: `stopSignal` (SIGTERM unless the service asks for another) to
 * its processes, SIGKILL after `timeoutMs`. Returns how it ended.
 */
export async function stopRecord(
  record: PidRecord,
  timeoutMs: number,
  stopSignal: NodeJS.Signals = "SIGTERM",
): Promise<"not-running" | "stopped" | "killed" | "stuck"> {
  let pids = ownedPids(record);
  if (pids.length === 0) return "not-running";
  signal(pids, stopSignal);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    pids = ownedPids(record);
    if (pids.length === 0) return "stopped";
  }
  signal(ownedPids(record), "SIGKILL");
  for (let i = 0; i < 40 && ownedPids(record).length > 0; i++) await new Promise((r) => setTimeout(r, 250));
  return ownedPids(record).length > 0 ? "stuck" : "killed";
}
