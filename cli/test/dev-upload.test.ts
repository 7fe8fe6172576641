// Hermetic: `reeltime dev` takes an upload through the demo page's client (its upload API on the
// same server, parts into the filesystem archive) and the catalogue shows the video as uploaded.
// The pipeline worker is left out here (it runs ffmpeg); dev-upload.int.test.ts goes on to ready.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DevHandle, startDev } from "../src/dev/server.ts";
import { uploadVideo } from "../src/dev/upload-client.ts";

const MiB = 1024 * 1024;
let dir: string;
let dev: DevHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-upload-"));
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

/** sessionStorage as the page has it. */
class Memory {
  readonly items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
  removeItem(k: string) {
    this.items.delete(k);
  }
}

async function video(id: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${dev.url}/v1/videos/${id}`, { headers: { authorization: `Bearer ${dev.readToken}` } });
    const body = (await res.json()) as { status?: string };
    if (res.status === 200 && body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`video ${id} is not ${status}: ${res.status} ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("uploading on the embedded default", { timeout: 120_000 }, () => {
  it("a page that stopped after one part resumes with the rest; the file lands under uploads/<app>/ and the catalogue has it", async () => {
    // Two parts at the default 16 MiB part size.
    const bytes = new Uint8Array(16 * MiB + 4321).map((_, i) => (i * 31) % 253);
    const file = new File([bytes], "holiday.mp4", { type: "video/mp4", lastModified: 1_700_000_000_000 });
    const memory = new Memory();
    const seen: number[] = [];
    const stopAfterFirstPart = (stored: number) => {
      seen.push(stored);
      if (stored === 16 * MiB) throw new Error("the page was closed");
    };
    await expect(
      uploadVideo({
        endpoint: dev.url,
        writeKey: dev.writeKey,
        file,
        title: "Holiday",
        memory,
        onProgress: stopAfterFirstPart,
      }),
    ).rejects.toThrow("the page was closed");
    expect(seen).toEqual([0, 16 * MiB]);
    expect(memory.items.size).toBe(1);

    const fetches = vi.spyOn(globalThis, "fetch");
    const progress: number[] = [];
    let done: Awaited<ReturnType<typeof uploadVideo>>;
    try {
      done = await uploadVideo({
        endpoint: dev.url,
        writeKey: dev.writeKey,
        file,
        title: "Holiday",
        memory,
        onProgress: (stored) => progress.push(stored),
      });
      const puts = fetches.mock.calls.filter(([, init]) => init?.method === "PUT").map(([url]) => new URL(String(url)));
      expect(
        puts.map((u) => u.pathname.split("/").at(-1)),
        "only the missing part is sent again",
      ).toEqual(["2"]);
      expect(puts[0]?.origin, "part URLs point at the dev server itself").toBe(dev.url);
    } finally {
      fetches.mockRestore();
    }
    expect(progress).toEqual([16 * MiB, bytes.byteLength]);
    expect(done).toMatchObject({ state: "completed", video_id: expect.stringMatching(/^vid-/) });
    expect(memory.items.size, "a finished upload is forgotten").toBe(0);

    const key = `uploads/${dev.appId}/${done.video_id}/source.mp4`;
    expect(Buffer.from(await dev.archive.get(key)).equals(Buffer.from(bytes))).toBe(true);
    const row = await video(done.video_id, "uploaded");
    expect(row).toMatchObject({
      app_id: dev.appId,
      title: "Holiday",
      upload_id: done.upload_id,
      source_key: key,
      source_bytes: bytes.byteLength,
    });
  });

  it("the demo page embeds the client and the read token that follows the video", async () => {
    const html = await (await fetch(`${dev.url}/demo`)).text();
    expect(html).toContain('id="upload-form"');
    expect(html).toContain("const uploadVideo = async function uploadVideo(o)");
    expect(html).toContain(`"readToken":"${dev.readToken}"`);
    // ?video=<id> plays an uploaded video; anything else falls back to the sample.
    expect(html).toContain("/^[A-Za-z0-9._-]{1,128}$/.test(chosen)");
  });

  it("refuses a part URL that was tampered with, in the project's error shape", async () => {
    const res = await fetch(`${dev.url}/v1/uploads`, {
      method: "POST",
      headers: { "x-reeltime-key": dev.writeKey, "content-type": "application/json" },
      body: JSON.stringify({
        filename: "a.webm",
        content_type: "video/webm",
        bytes: 10,
        sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
      }),
    });
    expect(res.status).toBe(201);
    const up = (await res.json()) as { parts: { url: string }[] };
    const url = new URL(up.parts[0]!.url);
    url.searchParams.set("length", "11");
    const put = await fetch(url, { method: "PUT", body: new Uint8Array(11) });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe("REELTIME_ERR_UPLOAD_URL");
  });
});
