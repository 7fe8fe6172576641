import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, describe, expect, it } from "vitest";
import { TranscodePipeline } from "../src/pipeline.ts";
import { UploadWatcher } from "../src/watch.ts";
import { makeClip } from "./helpers/clips.ts";

describe("pipeline watch on real S3 (SeaweedFS) and Kafka", () => {
  let bus: Bus | undefined;
  let archive: Archive | undefined;
  afterAll(async () => {
    await bus?.shutdown();
    await archive?.shutdown();
  });

  it("transcodes an upload that lands in the bucket prefix once, publishing its job events", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-watch-int-"));
    const env = loadEnv(ConnectionEnv, {
      REELTIME_DATA_DIR: dir,
      REELTIME_BUS: "kafka",
      REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(","),
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_ENDPOINT: LOCAL_ENDPOINTS.s3.endpoint,
      REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.archive,
    });
    bus = await createBus(env);
    archive = await createArchive(env);
    await bus.ensureTopics([{ name: TOPICS.job, partitions: env.REELTIME_PARTITIONS }]);
    const run = uuidv7().slice(-12);
    const prefix = `uploads-int-${run}/`;
    const clip = await makeClip({ width: 320, height: 240, seconds: 4 });
    await archive.put(`${prefix}watch-${run}.mp4`, new Uint8Array(await readFile(clip)));

    const pipeline = new TranscodePipeline({ bus, archive }, { segmentSeconds: 2 });
    const watcher = new UploadWatcher(archive, pipeline, { prefix, statePrefix: `pipeline-int-${run}/processed/` });
    const first = await watcher.pollOnce();
    expect(first.map((r) => r.status)).toEqual(["completed"]);
    const videoId = first[0]!.video_id;
    expect(await archive.exists(`media/${videoId}/master.m3u8`)).toBe(true);
    expect(await watcher.pollOnce()).toEqual([]); // processed once, not again

    const types: string[] = [];
    let seen = 0;
    const sub = await bus.consume({
      group: `watch-int-${run}`,
      topics: [TOPICS.job],
      handler: async (b) => {
        for (const m of b.messages) {
          const e = JSON.parse(new TextDecoder().decode(m.value)) as { event_type: string; job: { id: string } };
          seen++;
          if (e.job?.id === first[0]!.job_id) types.push(e.event_type);
        }
      },
    });
    const until = Date.now() + 60_000;
    while (!types.includes("job.completed") && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    await sub.stop();
    expect(types[0], `${seen} job messages read`).toBe("job.created");
    expect(types.at(-1)).toBe("job.completed");
  }, 180_000);
});
