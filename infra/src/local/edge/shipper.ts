import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LogTail, type TailPosition } from "./log-tail.ts";

/** One record for the stream: a log line and its partition key. */
export interface LogRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** Where shipped lines go (a Kinesis stream, or memory in tests). Resolves once every record is taken. */
export interface RecordSink {
  put(records: readonly LogRecord[]): Promise<void>;
}

/** The in-memory sink: keeps every line it is given. */
export class MemorySink implements RecordSink {
  readonly lines: string[] = [];
  /** When set, the next put fails with it (once). */
  failNext: Error | undefined;

  async put(records: readonly LogRecord[]): Promise<void> {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
    for (const r of records) this.lines.push(Buffer.from(r.data).toString("utf8"));
  }
}

export interface ShipperOptions {
  /** The log file to follow. */
  file: string;
  /** Where the position is kept between runs (JSON {inode, offset}). */
  positionFile: string;
  sink: RecordSink;
  /** How often the file is checked for new lines (default 250 ms). */
  pollMs?: number;
  /** Lines per put (default 500, Kinesis PutRecords' limit). */
  maxRecords?: number;
  /** Called with each failure of a put (the lines are tried again on the next poll). */
  onError?: (err: unknown) => void;
}

/** What the shipper has done, for its health answer. */
export interface ShipperStats {
  file: string;
  position: TailPosition | undefined;
  shipped: number;
  lastShippedAt: string | undefined;
  lastError: string | undefined;
}

/** The position saved by an earlier run, or undefined. */
export function readPosition(file: string): TailPosition | undefined {
  try {
    const p = JSON.parse(readFileSync(file, "utf8")) as Partial<TailPosition>;
    return typeof p.inode === "number" && typeof p.offset === "number"
      ? { inode: p.inode, offset: p.offset }
      : undefined;
  } catch {
    return undefined;
  }
}

function writePosition(file: string, position: TailPosition): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(position)}\n`);
  renameSync(tmp, file);
}

/**
 * Follows an access log and puts each line, as one record, into a sink: the local edge's
 * CloudFront-layout lines into a Kinesis stream, as CloudFront's real-time logs arrive. The
 * position is saved after each put the sink took, so a restart goes on where it stopped (a line
 * may be put twice when the process dies between a put and the save: at-least-once, as Kinesis).
 * A failed put is tried again on the next poll; rotation and truncation are followed (LogTail).
 */
export class LogShipper {
  readonly #o: Required<Omit<ShipperOptions, "onError">> & Pick<ShipperOptions, "onError">;
  #tail: LogTail | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> = Promise.resolve();
  #shipped = 0;
  #lastShippedAt: string | undefined;
  #lastError: string | undefined;

  constructor(opts: ShipperOptions) {
    this.#o = { pollMs: 250, maxRecords: 500, ...opts };
  }

  /** Loads the saved position and starts polling. */
  start(): void {
    if (this.#tail) return;
    this.#tail = new LogTail(this.#o.file, readPosition(this.#o.positionFile));
    const tick = () => {
      this.flush()
        .catch(() => undefined)
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, this.#o.pollMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Ships every complete line there is now. Rejects with the sink's error (the lines stay unshipped). */
  flush(): Promise<void> {
    const run = this.#busy.then(() => this.#drain());
    this.#busy = run.catch(() => undefined);
    return run;
  }

  /** Stops polling, ships what is there (best effort) and closes the file. */
  async shutdown(): Promise<void> {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer) clearTimeout(timer);
    await this.flush().catch(() => undefined);
    this.#tail?.close();
    this.#tail = undefined;
  }

  stats(): ShipperStats {
    return {
      file: this.#o.file,
      position: this.#tail?.position,
      shipped: this.#shipped,
      lastShippedAt: this.#lastShippedAt,
      lastError: this.#lastError,
    };
  }

  async #drain(): Promise<void> {
    const tail = this.#tail;
    if (!tail) return;
    for (;;) {
      const before = tail.position;
      const { lines, next } = tail.read();
      if (lines.length === 0) {
        // A truncated or rotated file moved the position without any line: save that too.
        const now = tail.position;
        if (now && (now.inode !== before?.inode || now.offset !== before?.offset)) {
          writePosition(this.#o.positionFile, now);
        }
        return;
      }
      for (let i = 0; i < lines.length; i += this.#o.maxRecords) {
        const batch = lines.slice(i, i + this.#o.maxRecords);
        const records = batch.map((line, j) => ({
          data: Buffer.from(line, "utf8"),
          partitionKey: `${next.inode}-${next.offset}-${i + j}`,
        }));
        try {
          await this.#o.sink.put(records);
        } catch (err) {
          this.#lastError = err instanceof Error ? err.message : String(err);
          this.#o.onError?.(err);
          // The whole read is put again next time, the batches already taken included (at-least-once).
          throw err;
        }
        this.#shipped += batch.length;
        this.#lastShippedAt = new Date().toISOString();
      }
      this.#lastError = undefined;
      tail.commit(next);
      writePosition(this.#o.positionFile, next);
    }
  }
}
