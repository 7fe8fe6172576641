import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";

const CONTENT_TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  mpd: "application/dash+xml",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  jpg: "image/jpeg",
  vtt: "text/vtt",
  json: "application/json",
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
}

/** Uploads the named local files to `prefix/<name>`, a few at a time; resolves with the bytes sent. */
export async function uploadFiles(
  archive: Archive,
  dir: string,
  names: readonly string[],
  prefix: string,
  parallel = 4,
): Promise<number> {
  let bytes = 0;
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const body = await readFile(join(dir, name));
      await archive.put(`${prefix}/${name}`, body, { contentType: contentTypeOf(name) });
      bytes += body.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, worker));
  return bytes;
}

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

export const jsonBytes = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
