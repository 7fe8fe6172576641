// Hermetic: on `reeltime dev`, the catalogue updater archives its video records (records/videos/)
// and the local DuckDB engine reads them as the `videos` table, the row the read API answers.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventType, exampleEvent, type ReeltimeEvent, routeOf } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevHandle, startDev } from "../src/dev/server.ts";

let dir: string;
let dev: DevHandle;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-videos-"));
  dev = await startDev({
    port: 0,
    host: "127.0.0.1",
    dataDir: join(dir, "data"),
    video: false,
    print: () => undefined,
    transcodeUploads: false,
  });
}, 120_000);
afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.now() - 60_000;

function event(type: EventType, n: number, fields: Record<string, unknown> = {}): ReeltimeEvent {
  const e = exampleEvent(type, { now: new Date(T0 + n * 1000), seq: n }) as Record<string, unknown>;
  const job = e.job ? { job: { ...(e.job as object), id: "job-dev-videos", ...(fields.job as object) } } : {};
  return { ...e, ...fields, ...job, app_id: dev.appId, video: { id: "vid-dev-videos", title: "Archived" } } as never;
}

describe("reeltime dev archives the catalogue's video records", { timeout: 120_000 }, () => {
  it("an upload and its job make a videos row in the archive, the API's row with its revision", async () => {
    const events = [
      event("upload.completed", 1),
      event("job.created", 2, { job: { status: "created" } }),
      event("job.step_completed", 3, {
        job: { step: "rendition", rendition: "720p", status: "completed", bytes: 1_234_567, width: 1280, height: 720 },
      }),
      event("job.completed", 4, { job: { status: "completed", renditions: 1, bytes: 1_234_567 } }),
    ];
    for (const e of events) {
      const { topic, key } = routeOf(e);
      await dev.bus.publish(topic, [{ key, value: new TextEncoder().encode(JSON.stringify(e)) }]);
    }
    const sql =
      "SELECT title, status, renditions, revision FROM videos WHERE dt >= ? AND video_id = ? ORDER BY updated_at DESC, revision DESC LIMIT 1";
    let archived: Record<string, unknown> | undefined;
    const deadline = Date.now() + 60_000;
    while (archived?.status !== "ready") {
      if (Date.now() > deadline) throw new Error(`no ready videos row archived: ${JSON.stringify(archived)}`);
      await new Promise((r) => setTimeout(r, 200));
      await dev.query.refresh();
      archived = (await dev.query.run(sql, ["2000-01-01", "vid-dev-videos"])).rows[0];
    }
    const res = await fetch(`${dev.url}/v1/videos/vid-dev-videos`, {
      headers: { authorization: `Bearer ${dev.readToken}` },
    });
    const row = (await res.json()) as Record<string, unknown>;
    expect(row).toMatchObject({ title: "Archived", status: "ready" });
    expect(archived).toMatchObject({ title: row.title, status: row.status });
    expect(JSON.parse(archived.renditions as string)).toEqual(row.renditions);
    expect(row.renditions).toEqual([expect.objectContaining({ id: "720p", height: 720, bytes: 1_234_567 })]);
    expect(archived.revision).toBeGreaterThanOrEqual(1);
  });
});
