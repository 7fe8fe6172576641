// Hermetic: the job events' ids. job.completed states one fact per job, so every attempt and
// every rerun that gets that far gives it the same id; the other events keep fresh UUIDv7s.
import type { Bus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { JobReporter } from "../src/job/reporter.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function reporter(seqBase: number, requestedAt?: Date) {
  const seen: JobEvent[] = [];
  const bus = { publish: async () => undefined } as unknown as Bus;
  const r = new JobReporter(
    bus,
    { jobId: "job-0123456789abcdef0123456789abcdef", source: "uploads/app/vid-1/source.mp4", video: { id: "vid-1" } },
    { progressIntervalMs: 1000, seqBase, onEvent: (e) => seen.push(e), ...(requestedAt ? { requestedAt } : {}) },
  );
  return { r, seen };
}

async function run(seqBase: number, requestedAt?: Date) {
  const { r, seen } = reporter(seqBase, requestedAt);
  await r.emit("job.created", { status: "created" });
  await r.emit("job.completed", { status: "completed", duration_ms: 1234 });
  await r.flush();
  return seen;
}

describe("job event ids", () => {
  it("job.completed has one id across attempts and reruns of a job; the other events do not share theirs", async () => {
    const at = new Date("2026-12-04T07:56:39.314Z");
    const first = await run(0, at);
    const rerun = await run(0, at);
    const second = await run(1_000_000, at);
    const ids = (events: JobEvent[], type: string) =>
      events.filter((e) => e.event_type === type).map((e) => e.event_id);
    const completed = [...ids(first, "job.completed"), ...ids(rerun, "job.completed"), ...ids(second, "job.completed")];
    expect(completed).toHaveLength(3);
    expect(new Set(completed).size).toBe(1);
    const created = [...ids(first, "job.created"), ...ids(rerun, "job.created"), ...ids(second, "job.created")];
    expect(new Set(created).size).toBe(3);
    for (const id of [...completed, ...created]) expect(id).toMatch(UUID_V7);
    // The stable id's time is the request's time (its first 48 bits), read back here.
    const ms = Number.parseInt((completed[0] ?? "").replaceAll("-", "").slice(0, 12), 16);
    expect(ms).toBe(at.getTime());
  });

  it("another job, or another request time, gets another job.completed id; without a request time each is fresh", async () => {
    const at = new Date("2026-12-04T07:56:39.314Z");
    const a = (await run(0, at)).find((e) => e.event_type === "job.completed")?.event_id;
    const b = (await run(0, new Date(at.getTime() + 1))).find((e) => e.event_type === "job.completed")?.event_id;
    expect(a).not.toBe(b);
    const c = (await run(0)).find((e) => e.event_type === "job.completed")?.event_id;
    const d = (await run(0)).find((e) => e.event_type === "job.completed")?.event_id;
    expect(c).not.toBe(d);
  });
});
