import { spawn } from "node:child_process";
import { cancelled, FfmpegError } from "../errors.ts";
import { type FfmpegProgress, ProgressParser } from "./progress.ts";

/** How many characters of stderr are kept for failure reports. */
export const STDERR_TAIL_CHARS = 4000;

export interface RunOptions {
  /** Called for every `-progress` block (ffmpeg only; add `-progress pipe:1` to the args). */
  onProgress?: (p: FfmpegProgress) => void;
  /** Hears all of stderr as it comes (the analyses parse it; `stderrTail` keeps only the end). */
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderrTail: string;
}

/**
 * Runs one ffmpeg-family tool (`ffmpeg`, `ffprobe`) through child_process. Resolves with its
 * output when it exits 0; otherwise rejects with an FfmpegError carrying the exit status and
 * the tail of stderr. An abort kills the process (SIGTERM, then SIGKILL).
 */
export type ToolRunner = (tool: string, args: string[], options?: RunOptions) => Promise<RunResult>;

export const runTool: ToolRunner = (tool, args, options = {}) =>
  new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(cancelled(`${tool} not started: the job was cancelled`));
    const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const parser = options.onProgress ? new ProgressParser(options.onProgress) : undefined;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (parser) parser.push(chunk);
      else stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      options.onStderr?.(chunk);
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener("abort", onAbort);
      const hint = err.code === "ENOENT" ? ` (${tool} is not installed: apt-get install ffmpeg)` : "";
      reject(new FfmpegError(tool, null, null, `${err.message}${hint}`));
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (options.signal?.aborted) return reject(cancelled(`${tool} stopped: the job was cancelled`));
      if (code === 0) return resolve({ stdout, stderrTail: stderr });
      reject(new FfmpegError(tool, code, signal, stderr));
    });
  });
