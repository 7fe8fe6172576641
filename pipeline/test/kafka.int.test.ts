import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Bus, createBus } from "@reeltime/connectors";
import { type JobEvent, TOPICS, validateEvent } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { MemoryArchive } from "@reeltime/testkit";
import { v7 as uuidv7 } from "uuid";
import { afterAll, describe, expect, it } from "vitest";
import { TranscodePipeline } from "../src/pipeline.ts";
import { makeClip } from "./helpers/clips.ts";

describe("job events on real Kafka (127.0.0.1:9092, started by `reeltime infra up`)", () => {
  let bus: Bus | undefined;
  afterAll(async () => {
    await bus?.shutdown();
  });

  it("arrive in order, keyed by job id, each valid against the contract", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-pipeline-kafka-"));
    const env = { ...loadEnv(ConnectionEnv, process.env), REELTIME_BUS: "kafka" as const, REELTIME_DATA_DIR: dir };
    bus = await createBus(env);
    await bus.ensureTopics([{ name: TOPICS.job, partitions: env.REELTIME_PARTITIONS }]);
    const jobId = `job-int-${uuidv7()}`;
    const source = await makeClip({ width: 320, height: 240, seconds: 4 });
    const pipeline = new TranscodePipeline({ bus, archive: new MemoryArchive() }, { segmentSeconds: 2 });
    const result = await pipeline.run({ source, jobId, videoId: "kafka-int" });
    expect(result.status).toBe("completed");

    const received: { event: JobEvent; key: string; headers: Record<string, string>; partition: string }[] = [];
    const sub = await bus.consume({
      group: `pipeline-int-${uuidv7()}`,
      topics: [TOPICS.job],
      start: "earliest",
      handler: async (batch) => {
        for (const m of batch.messages) {
          const event = JSON.parse(new TextDecoder().decode(m.value)) as JobEvent;
          // The topic is shared: anything that is not this job (or not a job event at all) is skipped.
          if (event.job?.id === jobId) received.push({ event, key: m.key, headers: m.headers, partition: m.partition });
        }
      },
    });
    const deadline = Date.now() + 60_000;
    while (!received.some((r) => r.event.event_type === "job.completed") && Date.now() < deadline) await sleep(200);
    await sub.stop();

    const events = received.map((r) => r.event);
    expect(events.at(0)?.event_type).toBe("job.created");
    expect(events.at(-1)?.event_type).toBe("job.completed");
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(received.map((r) => r.partition)).size).toBe(1);
    for (const r of received) {
      expect(r.key).toBe(jobId);
      expect(r.headers.schema_version).toMatch(/^1\.\d+$/);
      const v = validateEvent(r.event);
      expect(v.ok ? [] : v.errors).toEqual([]);
    }
    const steps = events.filter((e) => e.event_type === "job.step_completed").map((e) => e.job.rendition ?? e.job.step);
    expect(steps).toEqual(expect.arrayContaining(["probe", "240p", "thumbnails", "metadata", "manifest"]));
  });
});
