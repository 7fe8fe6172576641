import type { JobEvent } from "@reeltime/events";

interface StepState {
  pct: number;
  speed?: number;
  done: boolean;
  failed: boolean;
}

const label = (e: JobEvent) => (e.job.rendition ? e.job.rendition : (e.job.step ?? "job"));

/**
 * Draws a job's progress from its events: one self-rewriting line on a TTY (bar, percentage,
 * each running step with its speed), plain lines per step otherwise (logs, CI).
 */
export class ProgressView {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly #tty: boolean;
  readonly #steps = new Map<string, StepState>();
  #drawn = false;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, tty = Boolean(out.isTTY)) {
    this.#out = out;
    this.#tty = tty;
  }

  /** Feed every job event, in order. */
  onEvent(e: JobEvent): void {
    const key = label(e);
    const s = this.#steps.get(key) ?? { pct: 0, done: false, failed: false };
    switch (e.event_type) {
      case "job.step_started":
        Object.assign(s, { pct: 0, done: false, failed: false });
        break;
      case "job.step_progress":
        s.pct = e.job.progress_pct ?? s.pct;
        if (e.job.speed !== undefined) s.speed = e.job.speed;
        break;
      case "job.step_completed":
        Object.assign(s, { pct: 100, done: true, speed: e.job.speed ?? s.speed });
        break;
      case "job.step_failed":
        s.failed = true;
        break;
    }
    if (e.job.step) this.#steps.set(key, s);
    if (this.#tty) this.#drawLine(e);
    else this.#plainLine(e);
  }

  /** Ends the TTY line so later output starts on a fresh one. */
  end(): void {
    if (this.#tty && this.#drawn) this.#out.write("\n");
    this.#drawn = false;
  }

  /** Overall completion: the mean of the steps seen so far. */
  percent(): number {
    const all = [...this.#steps.values()];
    return all.length === 0 ? 0 : all.reduce((sum, s) => sum + s.pct, 0) / all.length;
  }

  #drawLine(e: JobEvent): void {
    if (e.event_type === "job.completed" || e.event_type === "job.failed") {
      this.end();
      return;
    }
    const pct = this.percent();
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const parts = [...this.#steps.entries()]
      .filter(([, s]) => !s.done || s.failed)
      .map(
        ([k, s]) => `${k} ${s.failed ? "retrying" : `${s.pct.toFixed(0)}%`}${s.speed ? ` ${s.speed.toFixed(1)}x` : ""}`,
      );
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${pct.toFixed(0).padStart(3)}%  ${parts.join(" · ")}`;
    this.#out.write(`\r\x1b[2K${line.slice(0, (this.#out.columns ?? 120) - 1)}`);
    this.#drawn = true;
  }

  #plainLine(e: JobEvent): void {
    const line = plainText(e);
    if (line) this.#out.write(`job ${e.job.id}: ${line}\n`);
  }
}

/** One log line per step event (progress events are left out). */
function plainText(e: JobEvent): string | undefined {
  const j = e.job;
  const what = label(e);
  switch (e.event_type) {
    case "job.created":
      return `created for ${j.source}`;
    case "job.step_started":
      return `${what} started (attempt ${j.attempt ?? 1})`;
    case "job.step_completed": {
      const figures = [
        j.width && j.height ? `${j.width}x${j.height}` : undefined,
        j.segments ? `${j.segments} segments` : undefined,
        j.bitrate_bps ? `${Math.round(j.bitrate_bps / 1000)} kb/s` : undefined,
        j.speed ? `${j.speed.toFixed(1)}x` : undefined,
        j.duration_ms === undefined ? undefined : `${(j.duration_ms / 1000).toFixed(1)} s`,
        e.attributes?.skipped ? "already complete, skipped" : undefined,
      ].filter(Boolean);
      return `${what} done (${figures.join(", ")})`;
    }
    case "job.step_failed":
      return `${what} attempt ${j.attempt ?? 1} failed: ${j.error?.message}`;
    case "job.completed":
      return `completed in ${((j.duration_ms ?? 0) / 1000).toFixed(1)} s`;
    case "job.failed":
      return `failed: ${j.error?.message}`;
    default:
      return undefined;
  }
}
