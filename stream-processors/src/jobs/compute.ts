import { CHUNK_STEPS, type JobEvent, type JobRecord } from "@reeltime/events";
import { orderBySeq } from "@reeltime/processing";

type Step = JobRecord["steps"][number];
type Chunks = NonNullable<JobRecord["chunks"]>[number];
const stepKey = (step: string, rendition?: string) => (rendition ? `${step}:${rendition}` : step);
/** The split and assemble steps move media between pieces; their bytes are not the job's output. */
const INTERMEDIATE: readonly string[] = CHUNK_STEPS;
/** A chunk's state letter in the record: pending, running, completed, failed. */
const LETTER = { pending: "p", running: "r", completed: "c", failed: "f" } as const;

/** One rendition's chunks (segment-parallel encodes), from their chunk steps: state and attempts per chunk. */
class ChunkTally {
  count = 0;
  readonly #state = new Map<number, { status: keyof typeof LETTER; attempts: number }>();

  add(e: JobEvent): void {
    const c = e.job.chunk;
    if (!c) return;
    this.count = Math.max(this.count, c.count);
    const index = c.index ?? 0;
    const s = this.#state.get(index) ?? { status: "pending" as const, attempts: 0 };
    if (e.event_type === "job.step_started") {
      s.attempts++;
      s.status = "running";
    } else if (e.event_type === "job.step_progress") s.status = s.status === "pending" ? "running" : s.status;
    else if (e.event_type === "job.step_completed") s.status = "completed";
    else if (e.event_type === "job.step_failed") s.status = "failed";
    this.#state.set(index, s);
  }

  retries(): number {
    return [...this.#state.values()].reduce((n, s) => n + Math.max(0, s.attempts - 1), 0);
  }

  record(rendition: string): Chunks {
    const count = Math.min(Math.max(this.count, ...[...this.#state.keys()].map((i) => i + 1)), 4096);
    const states = Array.from({ length: count }, (_, i) => this.#state.get(i)?.status ?? "pending");
    const n = (status: string) => states.filter((s) => s === status).length;
    return {
      rendition,
      count,
      completed: n("completed"),
      running: n("running"),
      failed: n("failed"),
      retries: this.retries(),
      states: states.map((s) => LETTER[s]).join(""),
    };
  }
}

/**
 * Rebuilds one job's record from its events: state, per-step attempts and figures, the failed
 * step and its reason. Pure and order-independent (events are ordered by seq, duplicates dropped).
 */
export function computeJob(input: (JobEvent & { received_at?: string; app_id?: string })[]): JobRecord {
  const events = orderBySeq(input);
  if (events.length === 0) throw new Error("computeJob needs at least one event");
  const first = events[0]!;
  const steps = new Map<string, Step>();
  const chunks = new Map<string, ChunkTally>();
  let status: JobRecord["status"] = "created";
  let completedAt: string | undefined;
  let duration: number | undefined;
  let failed: { step?: string; rendition?: string; code?: string; message?: string; exit?: number } | undefined;
  let retries = 0;
  let queueWait: number | undefined;
  let mediaDuration: number | undefined;

  for (const e of events) {
    const j = e.job;
    if (j.queue_wait_ms !== undefined) queueWait = j.queue_wait_ms;
    if (j.media_duration_ms !== undefined && j.step === "probe") mediaDuration = j.media_duration_ms;
    // A chunk of a segment-parallel encode: tallied per rendition, not one step per chunk.
    if (j.step === "chunk" && j.rendition && e.event_type.startsWith("job.step_")) {
      const tally = chunks.get(j.rendition) ?? new ChunkTally();
      tally.add(e);
      chunks.set(j.rendition, tally);
      if (status === "created") status = "running";
    } else if (j.step && e.event_type.startsWith("job.step_")) {
      const key = stepKey(j.step, j.rendition);
      const s: Step = steps.get(key) ?? {
        step: j.step,
        ...(j.rendition ? { rendition: j.rendition } : {}),
        status: "running",
        attempts: 0,
      };
      if (e.event_type === "job.step_started") {
        s.attempts++;
        if (s.attempts > 1) retries++;
        s.status = "running";
      } else if (e.event_type === "job.step_completed") {
        s.status = "completed";
        if (j.duration_ms !== undefined) s.duration_ms = j.duration_ms;
        if (j.bytes !== undefined) s.bytes = j.bytes;
        if (j.bitrate_bps !== undefined) s.bitrate_bps = j.bitrate_bps;
        if (j.target_bitrate_bps !== undefined) s.target_bitrate_bps = j.target_bitrate_bps;
        if (j.speed !== undefined) s.speed = j.speed;
      } else if (e.event_type === "job.step_failed") {
        s.status = "failed";
        if (j.duration_ms !== undefined) s.duration_ms = j.duration_ms;
      }
      steps.set(key, s);
      if (status === "created") status = "running";
    }
    if (e.event_type === "job.completed") {
      status = "completed";
      completedAt = e.client_ts;
      duration = j.duration_ms;
      failed = undefined;
    }
    if (e.event_type === "job.failed") {
      status = "failed";
      completedAt = e.client_ts;
      duration = j.duration_ms;
      failed = {
        ...(j.step ? { step: j.step } : {}),
        ...(j.rendition ? { rendition: j.rendition } : {}),
        ...(j.error ? { code: j.error.code, message: j.error.message } : {}),
        ...(j.error?.exit_code !== undefined ? { exit: j.error.exit_code } : {}),
      };
    }
  }

  const stepList = [...steps.values()];
  const renditions = stepList.filter((s) => s.step === "rendition" && s.status === "completed");
  const totalBytes = stepList.reduce(
    (sum, s) => sum + (s.status === "completed" && !INTERMEDIATE.includes(s.step) ? (s.bytes ?? 0) : 0),
    0,
  );
  const chunkList = [...chunks].slice(0, 16).map(([rendition, tally]) => tally.record(rendition));
  retries += [...chunks.values()].reduce((n, t) => n + t.retries(), 0);
  const encodeMs = renditions.reduce((sum, s) => sum + (s.duration_ms ?? 0), 0);
  const newest = <T>(pick: (e: (typeof events)[number]) => T | undefined) => {
    for (let i = events.length - 1; i >= 0; i--) {
      const v = pick(events[i]!);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const updated = events.reduce((m, e) => Math.max(m, Date.parse(e.received_at ?? e.client_ts)), 0);
  const videoId = newest((e) => e.video?.id);
  const appId = newest((e) => e.app_id);
  const source = newest((e) => e.job.source);
  const speed =
    mediaDuration !== undefined && encodeMs > 0 && renditions.length > 0
      ? Math.round(((mediaDuration * renditions.length) / encodeMs) * 1000) / 1000
      : undefined;

  return {
    job_id: first.job.id,
    ...(videoId ? { video_id: videoId } : {}),
    ...(appId ? { app_id: appId } : {}),
    status,
    ...(source ? { source } : {}),
    created_at: (events.find((e) => e.event_type === "job.created") ?? first).client_ts,
    updated_at: new Date(updated).toISOString(),
    ...(completedAt ? { completed_at: completedAt } : {}),
    ...(queueWait !== undefined ? { queue_wait_ms: queueWait } : {}),
    ...(duration !== undefined ? { duration_ms: duration } : {}),
    ...(mediaDuration !== undefined ? { media_duration_ms: mediaDuration } : {}),
    renditions_completed: renditions.length,
    retries,
    total_bytes: totalBytes,
    ...(speed !== undefined ? { speed } : {}),
    ...(failed?.step ? { failed_step: failed.step } : {}),
    ...(failed?.rendition ? { failed_rendition: failed.rendition } : {}),
    ...(failed?.code ? { error_code: failed.code } : {}),
    ...(failed?.message ? { error_message: failed.message.slice(0, 2048) } : {}),
    ...(failed?.exit !== undefined ? { exit_code: failed.exit } : {}),
    last_seq: events.at(-1)!.seq,
    steps: stepList,
    ...(chunkList.length > 0 ? { chunks: chunkList } : {}),
  };
}
