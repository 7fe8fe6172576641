// Writes small fragmented-MP4 files box by box (ISO/IEC 14496-12), shaped as ffmpeg's HLS muxer
// writes CMAF tracks: an init segment (ftyp + moov with one trak and mvex/trex) and media segments
// (styp + moof/traf with tfhd, tfdt, trun + mdat). The unit tests read them back with the
// pipeline's parser and stand them in for what ffmpeg would have written. Sample payloads are
// filler bytes: nothing here decodes.

const ascii = (s: string) => new TextEncoder().encode(s);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function u32(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => {
    v.setUint32(i * 4, x >>> 0);
  });
  return b;
}

function u64(value: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(value));
  return b;
}

const u16 = (...values: number[]) => {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => {
    v.setUint16(i * 2, x);
  });
  return b;
};

export function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(payload);
  return concat([u32(8 + body.byteLength), ascii(type), body]);
}

const fullBox = (type: string, version: number, flags: number, ...payload: Uint8Array[]) =>
  box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...payload);

export interface InitSpec {
  kind: "video" | "audio";
  timescale: number;
  trackId?: number;
  /** H.264 profile, constraint flags and level written into avcC (video only). */
  avc?: { profile: number; constraints: number; level: number };
  /** mdhd version 1 (64-bit times). */
  mdhdV1?: boolean;
  /** trex's default sample duration. */
  trexDuration?: number;
}

/** An init segment: ftyp (iso6, cmfc), moov with one track and mvex. */
export function initSegment(spec: InitSpec): Uint8Array {
  const trackId = spec.trackId ?? 1;
  const video = spec.kind === "video";
  const tkhd = fullBox("tkhd", 0, 3, u32(0, 0, trackId, 0, 0, 0, 0, 0, 0), new Uint8Array(36), u32(0, 0));
  const mdhd = spec.mdhdV1
    ? fullBox("mdhd", 1, 0, u64(0), u64(0), u32(spec.timescale), u64(0), u32(0x55c40000))
    : fullBox("mdhd", 0, 0, u32(0, 0, spec.timescale, 0), u32(0x55c40000));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), ascii(video ? "vide" : "soun"), u32(0, 0, 0), ascii("filler\0"));
  const avc = spec.avc ?? { profile: 0x64, constraints: 0, level: 0x1f };
  const entry = video
    ? box(
        "avc1",
        new Uint8Array(6),
        u16(1),
        new Uint8Array(16),
        u16(640, 360),
        u32(0x00480000, 0x00480000, 0),
        u16(1),
        new Uint8Array(32),
        u16(0x18, 0xffff),
        box("avcC", new Uint8Array([1, avc.profile, avc.constraints, avc.level, 0xff, 0xe0, 0])),
      )
    : box("mp4a", new Uint8Array(6), u16(1), u32(0, 0), u16(2, 16, 0, 0), u32(48000 << 16));
  const stsd = fullBox("stsd", 0, 0, u32(1), entry);
  const stbl = box(
    "stbl",
    stsd,
    fullBox("stts", 0, 0, u32(0)),
    fullBox("stsc", 0, 0, u32(0)),
    fullBox("stsz", 0, 0, u32(0, 0)),
    fullBox("stco", 0, 0, u32(0)),
  );
  const minf = box("minf", video ? fullBox("vmhd", 0, 1, new Uint8Array(8)) : fullBox("smhd", 0, 0, u32(0)), stbl);
  const trak = box("trak", tkhd, box("mdia", mdhd, hdlr, minf));
  const trex = fullBox("trex", 0, 0, u32(trackId, 1, spec.trexDuration ?? 0, 0, 0));
  const mvhd = fullBox("mvhd", 0, 0, u32(0, 0, 1000, 0, 0x00010000), new Uint8Array(76), u32(trackId + 1));
  return concat([
    box("ftyp", ascii("iso6"), u32(512), ascii("iso6cmfcmp41")),
    box("moov", mvhd, trak, box("mvex", trex)),
  ]);
}

export interface FragmentSpec {
  /** tfdt's base media decode time. */
  decodeTime: number;
  /** Each sample's duration; `defaultDuration` writes one into tfhd and none per sample. */
  durations?: number[];
  defaultDuration?: number;
  /** With `defaultDuration` (or trex's), how many samples. */
  count?: number;
  /** Composition offsets per sample (trun version 1: signed). */
  cts?: number[];
  /** Bytes of each sample's payload (default 100). */
  sampleBytes?: number;
  trackId?: number;
  tfdtV1?: boolean;
}

function fragment(seq: number, f: FragmentSpec): Uint8Array[] {
  const n = f.durations?.length ?? f.count ?? 0;
  const sampleBytes = f.sampleBytes ?? 100;
  const perSample = f.durations !== undefined;
  const tfhdFlags = 0x020000 | (f.defaultDuration !== undefined ? 0x08 : 0) | 0x10;
  const tfhd = fullBox(
    "tfhd",
    0,
    tfhdFlags,
    u32(f.trackId ?? 1),
    ...(f.defaultDuration !== undefined ? [u32(f.defaultDuration)] : []),
    u32(sampleBytes),
  );
  const tfdt = f.tfdtV1 ? fullBox("tfdt", 1, 0, u64(f.decodeTime)) : fullBox("tfdt", 0, 0, u32(f.decodeTime));
  const trunFlags = 0x001 | (perSample ? 0x100 : 0) | (f.cts ? 0x800 : 0);
  const rows: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (perSample) rows.push(u32(f.durations![i]!));
    if (f.cts) rows.push(u32(f.cts[i]!));
  }
  const trun = fullBox("trun", f.cts ? 1 : 0, trunFlags, u32(n, 0), ...rows);
  const moof = box("moof", fullBox("mfhd", 0, 0, u32(seq)), box("traf", tfhd, tfdt, trun));
  return [moof, box("mdat", new Uint8Array(n * sampleBytes).fill(0xab))];
}

/** A media segment: styp, then one moof + mdat per fragment given. */
export function mediaSegment(...fragments: FragmentSpec[]): Uint8Array {
  return concat([
    box("styp", ascii("msdh"), u32(0), ascii("msdhmsix")),
    ...fragments.flatMap((f, i) => fragment(i + 1, f)),
  ]);
}
