import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/**
 * The lines of a log file, gunzipped when it starts with gzip's magic bytes (CloudFront's
 * standard logs are `.gz`; a plain text file reads as it is). Streams: a large file is never
 * held whole. Rejects (from the iteration) when the gzip data is corrupt.
 */
export async function* fileLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const it = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const n = await it.next();
    if (n.done) break;
    head = Buffer.concat([head, Buffer.from(n.value)]);
  }
  if (head.length === 0) return;
  const rest = async function* () {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  };
  const raw = Readable.from(rest());
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const input = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on("error", (e) => input.destroy(e));
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const failed = new Promise<never>((_, reject) => input.on("error", reject));
  failed.catch(() => {});
  const lines = rl[Symbol.asyncIterator]();
  for (;;) {
    const n = await Promise.race([lines.next(), failed]);
    if (n.done) return;
    yield n.value;
  }
}
