import { loadEnv, ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";

/** The pipeline's segment-parallel encoding settings (a section of `reeltime config`). */
export const ChunkEnv = Type.Object({
  REELTIME_CHUNK_THRESHOLD_SECONDS: Type.Integer({
    default: 300,
    minimum: 0,
    description:
      "a source longer than this (seconds) is split into chunks that any worker of the group encodes (segment-parallel); 0: never split",
  }),
  REELTIME_CHUNK_SECONDS: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description:
      "target length of a chunk, seconds (rounded to whole segments; boundaries prefer the source's keyframes)",
  }),
});
export type ChunkEnv = Static<typeof ChunkEnv>;

export interface ChunkSettings {
  /** Sources longer than this are split (seconds); undefined: never. */
  thresholdSeconds: number | undefined;
  chunkSeconds: number;
}

/** Reads the chunk settings; a chunk shorter than the threshold's own tail would make no sense, so it is refused. */
export function loadChunkSettings(source: NodeJS.ProcessEnv = process.env): ChunkSettings {
  const env = loadEnv(ChunkEnv, source);
  const threshold = env.REELTIME_CHUNK_THRESHOLD_SECONDS;
  if (threshold > 0 && env.REELTIME_CHUNK_SECONDS > threshold)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `REELTIME_CHUNK_SECONDS=${env.REELTIME_CHUNK_SECONDS} is longer than REELTIME_CHUNK_THRESHOLD_SECONDS=${threshold}: ` +
        "a source just over the threshold would make one chunk; lower the chunk length or raise the threshold",
    );
  return { thresholdSeconds: threshold > 0 ? threshold : undefined, chunkSeconds: env.REELTIME_CHUNK_SECONDS };
}
