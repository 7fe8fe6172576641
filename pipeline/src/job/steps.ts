import type { JobEvent } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { FfmpegError, isInputError } from "../errors.ts";
import type { JobFields, JobReporter } from "./reporter.ts";
import { type RetryOptions, withRetry } from "./retry.ts";

type JobError = NonNullable<JobEvent["job"]["error"]>;
type Step = NonNullable<JobFields["step"]>;

/** A step that failed for good (after its retries, or at once for bad input). */
export class StepFailure extends Error {
  readonly step: Step;
  readonly rendition: string | undefined;
  readonly error: JobError;
  constructor(step: Step, rendition: string | undefined, error: JobError) {
    super(`${step}${rendition ? ` ${rendition}` : ""} failed: ${error.message}`);
    this.name = "StepFailure";
    this.step = step;
    this.rendition = rendition;
    this.error = error;
  }
}

/** The `job.error` object of an event: code, message, and for ffmpeg its exit status and stderr tail. */
export function toJobError(err: unknown): JobError {
  const code = err instanceof ReeltimeError ? err.code : "REELTIME_ERR_PIPELINE";
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
  const out: JobError = { code, message };
  const ff = err instanceof FfmpegError ? err : (err as { cause?: unknown })?.cause;
  if (ff instanceof FfmpegError) {
    if (ff.exitStatus !== null) out.exit_code = Math.max(-255, Math.min(255, ff.exitStatus));
    if (ff.signal) out.signal = ff.signal.slice(0, 16);
    if (ff.stderrTail) out.stderr_tail = ff.stderrTail.slice(-8000);
  }
  return out;
}

const isCancel = (err: unknown) => err instanceof ReeltimeError && err.code === "REELTIME_ERR_CANCELLED";

/**
 * Runs the steps of one job with their events: `job.step_started` per attempt,
 * `job.step_failed` per failed attempt, `job.step_completed` with the step's figures. A step
 * that fails for good cancels its siblings through the job's AbortController, unless it is
 * optional.
 */
export class StepRunner {
  firstFailure: StepFailure | undefined;
  readonly #reporter: JobReporter;
  readonly #retry: RetryOptions;
  readonly #abort: AbortController;

  constructor(reporter: JobReporter, retry: RetryOptions, abort: AbortController) {
    this.#reporter = reporter;
    this.#retry = retry;
    this.#abort = abort;
  }

  async run<T>(
    id: { step: Step; rendition?: string; target_bitrate_bps?: number; chunk?: NonNullable<JobFields["chunk"]> },
    task: (attempt: number) => Promise<T>,
    figures: (result: T) => Omit<JobFields, "status">,
    options: {
      retry?: boolean;
      /**
       * A step the job can do without (an analysis): when it fails for good its step_failed
       * events are sent and its StepFailure thrown to the caller, but the job goes on.
       */
      optional?: boolean;
      /** Narrows which failures are tried again (input errors and cancellations never are). */
      retryable?: (err: unknown) => boolean;
    } = {},
  ): Promise<T> {
    let began = 0;
    const r = this.#reporter;
    try {
      const value = await withRetry(
        async (attempt) => {
          began = performance.now();
          await r.emit("job.step_started", { ...id, status: "running", attempt });
          const out = await task(attempt);
          await r.emit("job.step_completed", {
            ...id,
            ...figures(out),
            status: "completed",
            attempt,
            duration_ms: Math.round(performance.now() - began),
          });
          return out;
        },
        {
          ...this.#retry,
          attempts: options.retry === false ? 1 : this.#retry.attempts,
          signal: this.#abort.signal,
          retryable: (err) =>
            !isInputError(err) && !isCancel(err) && !(err instanceof StepFailure) && (options.retryable?.(err) ?? true),
          onFailure: async (err, attempt, willRetry) => {
            await r.emit(
              "job.step_failed",
              {
                ...id,
                status: "failed",
                attempt,
                duration_ms: Math.round(performance.now() - began),
                error: toJobError(err),
              },
              { will_retry: willRetry },
            );
          },
        },
      );
      return value;
    } catch (err) {
      const failure = new StepFailure(id.step, id.rendition, toJobError(err));
      if (!isCancel(err) && !this.firstFailure && !options.optional) {
        this.firstFailure = failure;
        this.#abort.abort();
      }
      throw failure;
    }
  }
}
