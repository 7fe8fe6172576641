// Types of the part of webvtt-parser (w3c/webvtt.js, CommonJS, no types of its own) the pipeline uses.
declare module "webvtt-parser" {
  export interface WebVTTCue {
    id: string;
    startTime: number;
    endTime: number;
    text: string;
  }
  export interface WebVTTParseError {
    message: string;
    /** 1-based. */
    line: number;
    col?: number;
  }
  export class WebVTTParser {
    parse(
      input: string,
      mode?: "subtitles/captions/descriptions" | "metadata" | "chapters",
    ): { cues: WebVTTCue[]; errors: WebVTTParseError[]; time: number };
  }
  const webvtt: { WebVTTParser: typeof WebVTTParser };
  export default webvtt;
}
