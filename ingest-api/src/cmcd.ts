import { createHash } from "node:crypto";
import { type EventOf, SCHEMA_VERSION } from "@reeltime/events";

export type CmcdReport = Record<string, string | number | boolean>;

const KEY = /^[a-z][a-z0-9-]{0,15}$/;

/**
 * Parses CMCD v2 event-mode reports as hls.js posts them: JSON (one report or a list) or
 * text, one report per line in CMCD's `key=value,key2="str",flag` form.
 */
export function parseCmcd(body: string): CmcdReport[] {
  const trimmed = body.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const parsed = JSON.parse(trimmed) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((r) => {
      if (r === null || typeof r !== "object" || Array.isArray(r))
        throw new SyntaxError("each CMCD report must be an object");
      return r as CmcdReport;
    });
  }
  return trimmed
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map(parseLine);
}

function parseLine(line: string): CmcdReport {
  const out: CmcdReport = {};
  // Split on commas outside quoted strings.
  for (const part of line.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!KEY.test(key)) throw new SyntaxError(`"${key.slice(0, 20)}" is not a CMCD key`);
    if (eq < 0) {
      out[key] = true;
      continue;
    }
    const raw = part.slice(eq + 1).trim();
    if (raw.startsWith('"')) out[key] = JSON.parse(raw) as string;
    else if (/^-?\d+(\.\d+)?$/.test(raw)) out[key] = Number(raw);
    else out[key] = raw;
  }
  return out;
}

/** A UUIDv7 whose time is `ms` and whose random bits come from `seed`: the same report maps to the same id. */
function deterministicV7(ms: number, seed: string): string {
  const h = createHash("sha256").update(seed).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, Math.floor(ms)) % 2 ** 48, 0, 6);
  h.copy(b, 6, 0, 10);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Maps one CMCD report into the playback family, joined to the view by its session id (`sid`). */
export function cmcdToEvent(report: CmcdReport, nowMs: number): EventOf<"playback.cmcd"> {
  const sid = typeof report.sid === "string" && report.sid !== "" ? report.sid : "unknown";
  const ts = typeof report.ts === "number" ? report.ts : nowMs;
  const seq = typeof report.sn === "number" && Number.isInteger(report.sn) ? report.sn : 0;
  const pt = typeof report.pt === "number" ? Math.round(report.pt) : 0;
  return {
    event_id: deterministicV7(ts, JSON.stringify(report)),
    event_type: "playback.cmcd",
    schema_version: SCHEMA_VERSION,
    client_ts: new Date(ts).toISOString(),
    seq,
    session_id: sid.slice(0, 64),
    view_id: sid.slice(0, 64),
    video: { id: typeof report.cid === "string" && report.cid !== "" ? report.cid.slice(0, 64) : "unknown" },
    playhead_ms: pt,
    cmcd: report,
  };
}
