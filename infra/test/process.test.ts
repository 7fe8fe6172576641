import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingPackages } from "../src/local/install/apt.ts";
import { describeOwners, isPortInUse, parseSsOwners } from "../src/local/ports.ts";
import {
  isRecordAlive,
  ownedPids,
  parseProcStat,
  processStartTicks,
  spawnService,
  stopRecord,
} from "../src/local/process.ts";

const dir = mkdtempSync(join(tmpdir(), "reeltime-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ports", () => {
  it("sees a listener, and sees it gone", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    expect(await isPortInUse(port)).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await isPortInUse(port)).toBe(false);
  });

  it("parses who holds a port from ss", () => {
    const line = 'LISTEN 0 4096 127.0.0.1:9200 0.0.0.0:* users:(("java",pid=123,fd=4),("java",pid=124,fd=5))';
    expect(parseSsOwners(line)).toEqual([
      { command: "java", pid: 123 },
      { command: "java", pid: 124 },
    ]);
    expect(describeOwners(parseSsOwners(line))).toBe("pid 123 (java), pid 124 (java)");
    expect(describeOwners([])).toBe("another process");
  });
});

describe("process records", () => {
  it("parses /proc/<pid>/stat even with spaces and parentheses in the name", () => {
    const stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0";
    expect(parseProcStat(stat)).toEqual({ state: "S", pgrp: 42, startTicks: 123456 });
  });

  it("stops with the service's own stop signal when it has one (PostgreSQL's SIGINT)", async () => {
    // Ignores SIGTERM (as a smart shutdown with clients connected would not end), ends on SIGINT;
    // prints "traps set" once they are (spelt apart in the command, which the log also shows),
    // so no signal lands before them.
    const script = 'trap "exit 0" INT; trap "" TERM; echo "traps" "set"; while true; do sleep 0.1; done';
    const start = async (name: string) => {
      const log = join(dir, `${name}.log`);
      const p = await spawnService(name, { command: "sh", args: ["-c", script], cwd: dir, env: process.env }, log, []);
      for (let i = 0; i < 200 && !readFileSync(log, "utf8").includes("traps set"); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(readFileSync(log, "utf8")).toContain("traps set");
      return p;
    };
    const deaf = await start("deaf");
    expect(await stopRecord(deaf.record, 5000, "SIGINT")).toBe("stopped");
    const deaf2 = await start("deaf2");
    const r2 = await stopRecord(deaf2.record, 1000);
    expect(r2, `${deaf2.exitInfo()} ${readFileSync(join(dir, "deaf2.log"), "utf8")}`).toBe("killed");
  });

  it("starts a detached process group and stops all of it with SIGTERM", async () => {
    const started = await spawnService(
      "sleeper",
      { command: "sh", args: ["-c", "sleep 60 & sleep 60; wait"], cwd: dir, env: process.env },
      join(dir, "sleeper.log"),
      [],
    );
    expect(isRecordAlive(started.record)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(ownedPids(started.record).length).toBeGreaterThanOrEqual(2);
    expect(await stopRecord(started.record, 5000)).toBe("stopped");
    expect(ownedPids(started.record)).toEqual([]);
    expect(await stopRecord(started.record, 5000)).toBe("not-running");
  });

  it("never signals a process whose start time does not match the record (PID reuse)", async () => {
    const stranger: ChildProcess = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      const pid = stranger.pid!;
      const record = {
        service: "x",
        pid,
        startTicks: (processStartTicks(pid) ?? 0) + 1,
        command: "sleep 60",
        startedAt: new Date().toISOString(),
        ports: [],
      };
      expect(ownedPids(record)).toEqual([]);
      expect(await stopRecord(record, 1000)).toBe("not-running");
      expect(processStartTicks(pid)).toBeDefined();
    } finally {
      stranger.kill();
    }
  });
});

describe("debian packages", () => {
  it("lists only the packages whose files are missing", () => {
    const packages = [
      { pkg: "ffmpeg", bin: "/usr/bin/ffmpeg" },
      { pkg: "chromium", bin: "/usr/bin/chromium" },
    ];
    expect(missingPackages(packages, (p) => p === "/usr/bin/ffmpeg")).toEqual([
      { pkg: "chromium", bin: "/usr/bin/chromium" },
    ]);
  });
});
