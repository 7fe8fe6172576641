import { ReeltimeError } from "@reeltime/runtime";

// Just enough ISO BMFF (ISO/IEC 14496-12) to read back what ffmpeg wrote into a CMAF track: the
// timescale and codec of an init segment, and the decode time and duration of a media segment.
// Manifests are built from these numbers, so the HLS playlists and the DASH MPD say exactly what
// the files hold.

interface Box {
  type: string;
  /** The box's payload, after its header. */
  body: DataView;
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf", "edts", "dinf"]);

const bad = (what: string, message: string) =>
  new ReeltimeError("REELTIME_ERR_PIPELINE", `${what} is not a fragmented MP4 as ffmpeg writes it: ${message}`);

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The rest of a payload after its first `n` bytes of fields. */
function skip(body: DataView, n: number, what: string): DataView {
  if (body.byteLength < n) throw bad(what, "a box shorter than its fields");
  return new DataView(body.buffer, body.byteOffset + n, body.byteLength - n);
}

/** The boxes directly inside `data` (a file or a box's payload). */
function children(data: DataView, what: string): Box[] {
  const out: Box[] = [];
  let off = 0;
  while (off + 8 <= data.byteLength) {
    let size = data.getUint32(off);
    const type = String.fromCharCode(
      data.getUint8(off + 4),
      data.getUint8(off + 5),
      data.getUint8(off + 6),
      data.getUint8(off + 7),
    );
    let header = 8;
    if (size === 1) {
      if (off + 16 > data.byteLength) throw bad(what, `truncated ${type} box header`);
      size = Number(data.getBigUint64(off + 8));
      header = 16;
    } else if (size === 0) size = data.byteLength - off;
    if (size < header || off + size > data.byteLength) throw bad(what, `${type} box runs past the end`);
    out.push({ type, body: new DataView(data.buffer, data.byteOffset + off + header, size - header) });
    off += size;
  }
  return out;
}

/** The first box at `path` (e.g. `moov/trak/mdia/mdhd`), looking through containers. */
function find(data: DataView, path: string, what: string): Box | undefined {
  const [head, ...rest] = path.split("/");
  for (const box of children(data, what)) {
    if (box.type !== head) continue;
    if (rest.length === 0) return box;
    if (!CONTAINERS.has(box.type) && box.type !== "stsd") continue;
    // stsd and sample entries have fields before their child boxes.
    const inner = box.type === "stsd" ? skip(box.body, 8, what) : box.body;
    const hit = find(inner, rest.join("/"), what);
    if (hit) return hit;
  }
  return undefined;
}

function need(data: DataView, path: string, what: string): Box {
  const box = find(data, path, what);
  if (!box) throw bad(what, `no ${path.split("/").at(-1)} box (${path})`);
  return box;
}

/** What an init segment says about its one track. */
export interface InitInfo {
  trackId: number;
  /** `vide` or `soun`. */
  handler: string;
  /** Ticks per second of the track's media time. */
  timescale: number;
  /** RFC 6381 codec string read from the sample entry (`avc1.64001f`), when it is H.264. */
  codecs?: string;
  /** trex's default sample duration, used when a fragment names none. */
  defaultSampleDuration: number;
}

const hex = (n: number) => n.toString(16).padStart(2, "0");

/** Reads an init segment (ftyp + moov, no samples). */
export function readInit(bytes: Uint8Array, what = "init segment"): InitInfo {
  const data = view(bytes);
  const trak = need(data, "moov/trak", what);
  const tkhd = need(trak.body, "tkhd", what).body;
  const trackId = tkhd.getUint32(tkhd.getUint8(0) === 1 ? 20 : 12);
  const mdhd = need(trak.body, "mdia/mdhd", what).body;
  const timescale = mdhd.getUint32(mdhd.getUint8(0) === 1 ? 20 : 12);
  if (timescale <= 0) throw bad(what, "mdhd timescale is 0");
  const hdlr = need(trak.body, "mdia/hdlr", what).body;
  const handler = String.fromCharCode(hdlr.getUint8(8), hdlr.getUint8(9), hdlr.getUint8(10), hdlr.getUint8(11));
  const trex = find(data, "moov/mvex/trex", what)?.body;
  const info: InitInfo = {
    trackId,
    handler,
    timescale,
    defaultSampleDuration: trex ? trex.getUint32(12) : 0,
  };
  // avc1 sample entry: 78 bytes of visual sample entry fields before its boxes (avcC).
  const avc1 = find(trak.body, "mdia/minf/stbl/stsd/avc1", what);
  if (avc1) {
    const avcC = find(skip(avc1.body, 78, what), "avcC", what)?.body;
    if (avcC && avcC.byteLength >= 4)
      info.codecs = `avc1.${hex(avcC.getUint8(1))}${hex(avcC.getUint8(2))}${hex(avcC.getUint8(3))}`;
  }
  return info;
}

/** When one media segment starts and how long it lasts, in its track's timescale. */
export interface SegmentTiming {
  /** tfdt's base media decode time of the first fragment. */
  decodeTime: number;
  /** Sum of the sample durations of every fragment in the segment. */
  duration: number;
  /** Earliest presentation time (decode time + composition offset) of any sample. */
  earliestPresentationTime: number;
  samples: number;
}

/** Reads a media segment (styp, sidx, one or more moof + mdat) of the track `init` describes. */
export function readSegment(bytes: Uint8Array, init: InitInfo, what = "media segment"): SegmentTiming {
  const data = view(bytes);
  let decodeTime: number | undefined;
  let duration = 0;
  let samples = 0;
  let earliest = Number.POSITIVE_INFINITY;
  for (const moof of children(data, what).filter((b) => b.type === "moof")) {
    for (const traf of children(moof.body, what).filter((b) => b.type === "traf")) {
      const tfhd = need(traf.body, "tfhd", what).body;
      if (tfhd.getUint32(4) !== init.trackId) continue;
      const tfhdFlags = tfhd.getUint32(0) & 0xffffff;
      let p = 8;
      if (tfhdFlags & 0x01) p += 8; // base data offset
      if (tfhdFlags & 0x02) p += 4; // sample description index
      const defaultDuration = tfhdFlags & 0x08 ? tfhd.getUint32(p) : init.defaultSampleDuration;
      const tfdt = need(traf.body, "tfdt", what).body;
      const base = tfdt.getUint8(0) === 1 ? Number(tfdt.getBigUint64(4)) : tfdt.getUint32(4);
      if (decodeTime === undefined) decodeTime = base;
      let dts = base;
      for (const trun of children(traf.body, what).filter((b) => b.type === "trun")) {
        const t = trun.body;
        const version = t.getUint8(0);
        const flags = t.getUint32(0) & 0xffffff;
        const count = t.getUint32(4);
        let q = 8;
        if (flags & 0x001) q += 4; // data offset
        if (flags & 0x004) q += 4; // first sample flags
        for (let i = 0; i < count; i++) {
          let d = defaultDuration;
          let cts = 0;
          if (flags & 0x100) {
            d = t.getUint32(q);
            q += 4;
          }
          if (flags & 0x200) q += 4; // size
          if (flags & 0x400) q += 4; // flags
          if (flags & 0x800) {
            cts = version === 0 ? t.getUint32(q) : t.getInt32(q);
            q += 4;
          }
          if (q > t.byteLength) throw bad(what, "trun runs past its box");
          earliest = Math.min(earliest, dts + cts);
          dts += d;
          duration += d;
          samples++;
        }
      }
    }
  }
  if (decodeTime === undefined || samples === 0) throw bad(what, `no samples of track ${init.trackId}`);
  if (duration <= 0) throw bad(what, "samples without durations");
  return { decodeTime, duration, earliestPresentationTime: earliest, samples };
}
