import { type ErrorCode, ReeltimeError } from "@reeltime/runtime";

/** Why an input was refused before any encoding started. Stable codes, carried in `job.failed`. */
export const INPUT_ERRORS = {
  notFound: "REELTIME_ERR_INPUT_NOT_FOUND",
  empty: "REELTIME_ERR_EMPTY_INPUT",
  notAVideo: "REELTIME_ERR_NOT_A_VIDEO",
  corrupt: "REELTIME_ERR_CORRUPT_INPUT",
  noVideoStream: "REELTIME_ERR_NO_VIDEO_STREAM",
  /** An audio-only package was asked for (`audioOnly: "always"`, `transcode --audio-only`). */
  noAudioStream: "REELTIME_ERR_NO_AUDIO_STREAM",
  unsupportedCodec: "REELTIME_ERR_UNSUPPORTED_CODEC",
  absurdResolution: "REELTIME_ERR_ABSURD_RESOLUTION",
  absurdDuration: "REELTIME_ERR_ABSURD_DURATION",
} as const satisfies Record<string, ErrorCode>;
export type InputErrorCode = (typeof INPUT_ERRORS)[keyof typeof INPUT_ERRORS];

/** A bad input: retrying cannot help, so the job fails fast. */
export function inputError(code: InputErrorCode, message: string, cause?: unknown): ReeltimeError {
  return new ReeltimeError(code, message, { cause });
}

export function isInputError(err: unknown): boolean {
  return err instanceof ReeltimeError && (Object.values(INPUT_ERRORS) as string[]).includes(err.code);
}

/** ffmpeg or ffprobe exited with a failure: carries the exit status and the tail of stderr. */
export class FfmpegError extends ReeltimeError {
  readonly exitStatus: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(tool: string, exitStatus: number | null, signal: string | null, stderrTail: string) {
    const how = signal ? `was killed by ${signal}` : `exited with status ${exitStatus}`;
    const last = stderrTail.trim().split("\n").at(-1) ?? "";
    super("REELTIME_ERR_FFMPEG", `${tool} ${how}${last ? `: ${last}` : ""}`);
    this.name = "FfmpegError";
    this.exitStatus = exitStatus;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** The job was cancelled (another step failed for good, or the caller aborted). */
export function cancelled(reason: string): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_CANCELLED", reason);
}

/** Why a transcode worker did not run a request it was handed. Stable codes. */
export const WORKER_ERRORS = {
  /** A message on the transcode topic that is not a request: skipped, logged and counted. */
  badRequest: "REELTIME_ERR_BAD_TRANSCODE_REQUEST",
  /** Another live worker holds the request's claim: the message is retried until it ends. */
  claimHeld: "REELTIME_ERR_CLAIM_HELD",
} as const satisfies Record<string, ErrorCode>;
