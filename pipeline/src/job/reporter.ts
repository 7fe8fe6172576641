import type { Bus } from "@reeltime/connectors";
import { type JobEvent, routeOf, SCHEMA_VERSION, validateEvent } from "@reeltime/events";
import { ReeltimeError, stableEventId } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";

export type JobEventType = JobEvent["event_type"];
/** The `job` object of a job event, without the fields the reporter fills in. */
export type JobFields = Omit<JobEvent["job"], "id" | "source">;
export type VideoFields = NonNullable<JobEvent["video"]>;

export interface ReporterOptions {
  /** Minimum gap between two `job.step_progress` events of one step. */
  progressIntervalMs: number;
  /** Hears every event once it is built and valid (the CLI draws its progress bar from them). */
  onEvent?: (event: JobEvent) => void;
  /** The first event's seq is this + 1 (a later attempt at the same job id starts after the earlier one). */
  seqBase?: number;
  /**
   * When the job was requested (the upload event's time): makes `job.completed`'s event id a
   * function of the job id and this time, the same on every attempt and every rerun. A job
   * completes once in effect, however many times a worker gets that far (a rerun after its
   * final publish timed out, a second worker after a kill): each copy has one id, and every
   * store keeps one.
   */
  requestedAt?: Date;
}

/**
 * Builds, validates and publishes the events of one job, in order: one UUIDv7 and one
 * monotonic `seq` per event, published one after another so the bus (ordered per job id)
 * receives them in `seq` order. Progress events are throttled per step and not awaited;
 * `flush()` waits for everything sent and rethrows a publish failure.
 */
export class JobReporter {
  readonly jobId: string;
  readonly source: string;
  readonly appId: string | undefined;
  video: VideoFields;
  #bus: Bus;
  #options: ReporterOptions;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #lastProgress = new Map<string, number>();
  #publishError: unknown;

  constructor(
    bus: Bus,
    ctx: { jobId: string; source: string; video: VideoFields; appId?: string },
    options: ReporterOptions,
  ) {
    this.#bus = bus;
    this.appId = ctx.appId;
    this.jobId = ctx.jobId;
    this.source = ctx.source;
    this.video = ctx.video;
    this.#options = options;
    this.#seq = options.seqBase ?? 0;
  }

  get seq(): number {
    return this.#seq;
  }

  /** Builds the next event, checks it against the contract and queues it for publishing. */
  emit(type: JobEventType, job: JobFields, attributes?: Record<string, string | number | boolean>): Promise<void> {
    const at = this.#options.requestedAt;
    const event = {
      event_id: type === "job.completed" && at ? stableEventId(`${this.jobId}\njob.completed`, at) : uuidv7(),
      event_type: type,
      schema_version: SCHEMA_VERSION,
      client_ts: new Date().toISOString(),
      seq: ++this.#seq,
      ...(this.appId ? { app_id: this.appId } : {}),
      video: this.video,
      job: { id: this.jobId, source: this.source, ...job },
      ...(attributes ? { attributes } : {}),
    };
    const checked = validateEvent(event);
    if (!checked.ok)
      throw new ReeltimeError(
        "REELTIME_ERR_SCHEMA",
        `pipeline built an invalid ${type}: ${checked.errors.map((e) => `${e.pointer} ${e.message}`).join("; ")}`,
      );
    const valid = checked.event as JobEvent;
    this.#options.onEvent?.(valid);
    const { topic, key } = routeOf(valid);
    const message = {
      key,
      value: new TextEncoder().encode(JSON.stringify(valid)),
      headers: { schema_version: SCHEMA_VERSION, "content-type": "application/json" },
    };
    const sent = this.#chain.then(() => this.#bus.publish(topic, [message]));
    this.#chain = sent.catch((err) => {
      this.#publishError ??= err;
    });
    return sent;
  }

  /** A throttled `job.step_progress`: dropped when the step reported less than the interval ago. */
  progress(stepKey: string, job: JobFields): void {
    const now = performance.now();
    const last = this.#lastProgress.get(stepKey);
    if (last !== undefined && now - last < this.#options.progressIntervalMs) return;
    this.#lastProgress.set(stepKey, now);
    this.emit("job.step_progress", job).catch(() => {});
  }

  /** Waits until every queued event was acknowledged; rethrows the first publish failure. */
  async flush(): Promise<void> {
    await this.#chain;
    if (this.#publishError !== undefined) throw this.#publishError;
  }
}
