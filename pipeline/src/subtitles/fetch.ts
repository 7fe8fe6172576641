import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { type SubtitleSource, subtitleSource } from "./sources.ts";

/** An upload's source key as the upload API makes it: `uploads/<app>/<video>/<file>`. */
const UPLOAD_KEY = /^uploads\/[^/]+\/[^/]+\/[^/]+$/;
/** A subtitle file attached to an upload: `uploads/<app>/<video>/subtitles/<lang>.vtt`. */
const SUBTITLE_KEY = /^uploads\/[^/]+\/[^/]+\/subtitles\/[^/]+\.vtt$/;

/** Whether an archive key is a subtitle file attached to an upload (not a source to transcode). */
export const isUploadSubtitleKey = (key: string): boolean => SUBTITLE_KEY.test(key);

/**
 * The subtitle files attached to an upload (`PUT /v1/uploads/:id/subtitles/:lang` stores them
 * beside the source, under `subtitles/<lang>.vtt`), downloaded into `dir`: one source per
 * language, named by its object key in the job's messages. None for a key of another shape. A
 * file whose name is not a language tag is skipped (the upload API never stores one).
 */
export async function fetchUploadSubtitles(
  archive: Archive,
  sourceKey: string,
  dir: string,
): Promise<SubtitleSource[]> {
  if (!UPLOAD_KEY.test(sourceKey)) return [];
  const prefix = `${sourceKey.slice(0, sourceKey.lastIndexOf("/"))}/subtitles/`;
  const out: SubtitleSource[] = [];
  for (const o of await archive.list(prefix)) {
    const name = o.key.slice(prefix.length);
    if (!name.endsWith(".vtt") || name.includes("/")) continue;
    let source: SubtitleSource;
    try {
      source = subtitleSource(name.slice(0, -4), "", o.key);
    } catch {
      continue;
    }
    if (out.some((s) => s.language === source.language)) continue;
    await mkdir(join(dir, "subtitles"), { recursive: true });
    const path = join(dir, "subtitles", `${source.language}.vtt`);
    await writeFile(path, await archive.get(o.key));
    out.push({ ...source, path });
  }
  return out;
}
