/** One block of ffmpeg's `-progress` output (key=value lines ending with `progress=...`). */
export interface FfmpegProgress {
  frame?: number | undefined;
  fps?: number | undefined;
  /** Position reached in the output, in ms. */
  outTimeMs?: number | undefined;
  totalSize?: number | undefined;
  /** Encoding speed as a multiple of real time ("2.5x" → 2.5). */
  speed?: number | undefined;
  done: boolean;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Splits ffmpeg's `-progress pipe:1` stream into blocks. Feed it chunks as they arrive; it
 * calls `onBlock` once per complete block and keeps partial lines for the next chunk.
 */
export class ProgressParser {
  #buffer = "";
  #fields = new Map<string, string>();
  readonly #onBlock: (p: FfmpegProgress) => void;

  constructor(onBlock: (p: FfmpegProgress) => void) {
    this.#onBlock = onBlock;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf("\n");
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      this.#line(line);
      nl = this.#buffer.indexOf("\n");
    }
  }

  #line(line: string): void {
    const eq = line.indexOf("=");
    if (eq <= 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key !== "progress") {
      this.#fields.set(key, value);
      return;
    }
    const f = this.#fields;
    // `out_time_us` is microseconds; the older `out_time_ms` is microseconds too (an ffmpeg quirk).
    const us = num(f.get("out_time_us")) ?? num(f.get("out_time_ms"));
    const speed = num(f.get("speed")?.replace(/x$/, ""));
    this.#onBlock({
      frame: num(f.get("frame")),
      fps: num(f.get("fps")),
      outTimeMs: us === undefined || us < 0 ? undefined : Math.round(us / 1000),
      totalSize: num(f.get("total_size")),
      speed: speed === undefined || speed < 0 ? undefined : speed,
      done: value === "end",
    });
    this.#fields = new Map();
  }
}
