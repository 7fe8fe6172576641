import { createHash } from "node:crypto";
import type { ConsumedMessage } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import type { RenditionPlan } from "../ladder.ts";

/**
 * Chunk work units on the bus: one message per chunk × rendition, keyed by its unit id, which
 * any worker of the chunk encoders' group can take. A unit carries everything its encode needs
 * (no worker's memory is involved): where the piece of source is in the archive, which output
 * frames it makes, the rendition's settings, and the job its events belong to.
 */
export const CHUNK_TOPIC = TOPICS.transcodeChunks;
/** The consumer group of chunk encoders: every pipeline worker joins it beside the transcode group. */
export const CHUNK_GROUP = "reeltime-chunk-encoders";
/** Claims on units (one per unit id), as transcode requests have theirs under pipeline/claims/. */
export const CHUNK_CLAIMS_PREFIX = "pipeline/claims/chunks/";
/** Pieces of source and encoded chunks, per job and split: pipeline/chunks/<split id>/… */
export const CHUNKS_PREFIX = "pipeline/chunks/";

const hash = (value: unknown, chars: number) =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, chars);

/**
 * The id of one split of one job: the job id (cut to what object keys take) and a hash of what
 * the pieces depend on, so a rerun with the same source and plan finds its pieces and finished
 * units, and one with other settings starts afresh.
 */
export function splitId(jobId: string, fingerprint: unknown): string {
  const safe = jobId.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
  return `${safe}-${hash(fingerprint, 12)}`;
}

/**
 * The id of one chunk × rendition: `<split id>/<rendition>-<settings hash>/<index>`. The
 * rendition's encode settings are in it, so a rendition made with other settings is another unit.
 */
export function unitId(split: string, rendition: string, settings: unknown, index: number): string {
  return `${split}/${rendition}-${hash(settings, 8)}/${String(index).padStart(4, "0")}`;
}

/** Where a split keeps its files in the archive. */
export const chunkKeys = (split: string) => {
  const root = `${CHUNKS_PREFIX}${split}`;
  return {
    root,
    /** The split's plan, written once every piece is in place: its presence means "split done". */
    plan: `${root}/split.json`,
    piece: (index: number) => `${root}/source/${String(index).padStart(4, "0")}.nut`,
    output: (rendition: string, index: number) => `${root}/${rendition}/${String(index).padStart(4, "0")}.nut`,
    /** Written when the job gave up: units not yet started are skipped, running ones stop. */
    cancelled: `${root}/cancelled.json`,
  };
};

/** One chunk × rendition to encode, as it travels on {@link CHUNK_TOPIC}. */
export interface ChunkRequest {
  v: 1;
  unit_id: string;
  job: {
    id: string;
    /** What the job's events name as its source. */
    source: string;
    video: { id: string; title?: string; duration_ms?: number };
    app_id?: string;
    /** Where this unit's events number from (after the coordinator's own attempt range). */
    seq_base: number;
    /** Where the split's files are (see {@link chunkKeys}). */
    split: string;
  };
  chunk: {
    index: number;
    count: number;
    /** The archive key of the piece of source (NUT, the source's video stream copied, its timestamps kept). */
    piece_key: string;
    /** The `fps` filter's slots to keep: [first_slot, end_slot); no end for the last chunk. */
    first_slot: number;
    end_slot?: number;
    /** Frames to make keyframes, counted from the chunk's first frame. */
    forced_keyframes: number[];
    /** The source file's start time (seconds), which the serial encode subtracts from every timestamp. */
    source_start: number;
  };
  rendition: RenditionPlan;
  settings: { preset: string; segment_seconds: number };
  /** Where the encoded chunk goes (NUT, timestamps from 0). */
  output_key: string;
}

/** What a unit's claim records when it ended (`done.json`). */
export interface ChunkRecord {
  unit_id: string;
  status: "completed" | "failed";
  worker: string;
  attempt: number;
  /** Frames the encoded chunk holds. */
  frames?: number;
  bytes?: number;
  encode_ms?: number;
  error?: { code: string; message: string };
  processed_at: string;
}

const UNIT_ID = /^[A-Za-z0-9._-]{1,80}\/[A-Za-z0-9._-]{1,48}\/[0-9]{4,6}$/;

export function encodeChunkRequest(r: ChunkRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

/** Reads a unit off the bus; throws REELTIME_ERR_BAD_CHUNK_REQUEST for anything else. */
export function decodeChunkRequest(message: ConsumedMessage): ChunkRequest {
  let r: Partial<ChunkRequest> | undefined;
  try {
    r = JSON.parse(new TextDecoder().decode(message.value)) as Partial<ChunkRequest>;
  } catch {
    r = undefined;
  }
  const isInt = (v: unknown, min = 0) => Number.isInteger(v) && (v as number) >= min;
  const ok =
    r?.v === 1 &&
    typeof r.unit_id === "string" &&
    UNIT_ID.test(r.unit_id) &&
    typeof r.job?.id === "string" &&
    typeof r.job.source === "string" &&
    typeof r.job.video?.id === "string" &&
    isInt(r.job.seq_base) &&
    typeof r.job.split === "string" &&
    r.unit_id.startsWith(`${r.job.split}/`) &&
    isInt(r.chunk?.index) &&
    isInt(r.chunk?.count, 1) &&
    (r.chunk?.index ?? 0) < (r.chunk?.count ?? 0) &&
    typeof r.chunk?.piece_key === "string" &&
    r.chunk.piece_key.startsWith(`${CHUNKS_PREFIX}${r.job.split}/`) &&
    isInt(r.chunk.first_slot) &&
    (r.chunk.end_slot === undefined || (isInt(r.chunk.end_slot) && r.chunk.end_slot > r.chunk.first_slot)) &&
    Array.isArray(r.chunk.forced_keyframes) &&
    r.chunk.forced_keyframes.every((f) => isInt(f, 1)) &&
    typeof r.chunk.source_start === "number" &&
    typeof r.rendition?.name === "string" &&
    isInt(r.rendition.width, 2) &&
    isInt(r.rendition.height, 2) &&
    typeof r.rendition.fps === "number" &&
    isInt(r.rendition.gop, 1) &&
    isInt(r.rendition.videoBps, 1) &&
    typeof r.settings?.preset === "string" &&
    isInt(r.settings.segment_seconds, 1) &&
    typeof r.output_key === "string" &&
    r.output_key.startsWith(`${CHUNKS_PREFIX}${r.job.split}/`);
  if (!ok)
    throw new ReeltimeError(
      "REELTIME_ERR_BAD_CHUNK_REQUEST",
      `message ${message.partition}/${message.offset} on ${message.topic} is not a chunk work unit ` +
        "(JSON made by the pipeline's segment-parallel encode, version 1)",
    );
  return r as ChunkRequest;
}
