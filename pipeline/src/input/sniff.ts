import { open } from "node:fs/promises";

/** What the first bytes of a file say it is: a known media container, text, or unknown binary. */
export type Sniffed = { kind: "media"; container: string } | { kind: "text" } | { kind: "unknown" };

const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** Reads the first bytes of `path` and recognises common video containers by their magic numbers. */
export async function sniff(path: string): Promise<Sniffed> {
  const fh = await open(path, "r");
  try {
    const buf = new Uint8Array(512);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return classify(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function classify(b: Uint8Array): Sniffed {
  if (b.length >= 12 && ["ftyp", "moov", "mdat", "free", "wide", "skip"].some((box) => ascii(b, 4, box)))
    return { kind: "media", container: "mp4/mov" };
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return { kind: "media", container: "matroska" };
  if (ascii(b, 0, "RIFF")) return { kind: "media", container: "riff" };
  if (ascii(b, 0, "OggS")) return { kind: "media", container: "ogg" };
  if (ascii(b, 0, "FLV")) return { kind: "media", container: "flv" };
  if (ascii(b, 0, "GIF8")) return { kind: "media", container: "gif" };
  if (b[0] === 0x89 && ascii(b, 1, "PNG")) return { kind: "media", container: "png" };
  if (b[0] === 0xff && b[1] === 0xd8) return { kind: "media", container: "jpeg" };
  if (b[0] === 0x30 && b[1] === 0x26 && b[2] === 0xb2 && b[3] === 0x75) return { kind: "media", container: "asf" };
  if (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0x01 && (b[3] === 0xba || b[3] === 0xb3))
    return { kind: "media", container: "mpeg-ps" };
  if (b[0] === 0x47 && (b.length < 189 || b[188] === 0x47)) return { kind: "media", container: "mpeg-ts" };
  if (looksLikeText(b)) return { kind: "text" };
  return { kind: "unknown" };
}

function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  let printable = 0;
  for (const byte of b) if (byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte !== 127)) printable++;
  return !b.includes(0) && printable / b.length > 0.95;
}
