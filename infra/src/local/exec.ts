import { spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output of the command is appended here (install steps log to the service's log file). */
  logFile?: string;
  /** Run as this user (PostgreSQL's initdb refuses root). */
  user?: { uid: number; gid: number };
  /** Written to the command's stdin, which is then closed (default: no stdin). */
  input?: string;
}

/** Result of a finished command; `output` keeps the last few KB of stdout+stderr for error messages. */
export interface RunResult {
  code: number;
  output: string;
}

const KEEP = 8 * 1024;

/** Runs a command to completion without a shell; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const fd = opts.logFile ? openSync(opts.logFile, "a") : undefined;
    if (fd !== undefined) writeSync(fd, `\n[${new Date().toISOString()}] $ ${cmd} ${args.join(" ")}\n`);
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-KEEP);
      if (fd !== undefined) writeSync(fd, chunk);
    };
    const stdin: "ignore" | "pipe" = opts.input === undefined ? "ignore" : "pipe";
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [stdin, "pipe", "pipe"],
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    if (opts.input !== undefined) {
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(opts.input);
    }
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const finish = (code: number) => {
      if (fd !== undefined) closeSync(fd);
      resolvePromise({ code, output });
    };
    child.on("error", (err) => {
      output += String(err);
      finish(127);
    });
    child.on("close", (code) => finish(code ?? 1));
  });
}

/** Runs a command and returns its trimmed stdout+stderr, or undefined when it fails. */
export async function capture(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string | undefined> {
  const res = await run(cmd, args, opts);
  return res.code === 0 ? res.output.trim() : undefined;
}

/** Calls `attempt(n)` up to `attempts` times with a growing pause; returns the first success. */
export async function retry<T>(
  attempts: number,
  attempt: (n: number) => Promise<T>,
  onRetry?: (n: number, err: unknown) => void,
  pauseMs = 2000,
): Promise<T> {
  let last: unknown;
  for (let n = 1; n <= attempts; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      last = err;
      if (n < attempts) {
        onRetry?.(n, err);
        await new Promise((r) => setTimeout(r, pauseMs * n));
      }
    }
  }
  throw last;
}

/** The last non-empty line of some output, shortened, for one-line error messages. */
export function lastLine(output: string, max = 200): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.at(-1) ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The last non-empty line of a log file (for one-line errors), or "" when unreadable. */
export async function lastLogLine(file: string): Promise<string> {
  try {
    const { open } = await import("node:fs/promises");
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16 * 1024);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      return lastLine(buf.toString("utf8"));
    } finally {
      await handle.close();
    }
  } catch {
    return "";
  }
}
