import { ReeltimeError } from "@reeltime/runtime";

/** One subtitle file for a job: its language (BCP 47), the name players show, and where it is locally. */
export interface SubtitleSource {
  language: string;
  /** Shown in players' menus (HLS NAME, DASH Label); default: the language's English name. */
  name: string;
  /** Local path of the WebVTT file. */
  path: string;
  /** What messages call the file (an upload's object key); defaults to the path. */
  label?: string;
}

const TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;
const names = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });

/**
 * A language tag as the manifests and file names carry it: BCP 47, canonical case (`pt-br` →
 * `pt-BR`), at most 20 characters. Throws REELTIME_ERR_BAD_SUBTITLES for anything else.
 */
export function subtitleLanguage(tag: string): string {
  const t = tag.trim();
  let canonical: string | undefined;
  if (TAG.test(t) && t.length <= 20)
    try {
      canonical = Intl.getCanonicalLocales(t)[0];
    } catch {
      canonical = undefined;
    }
  if (!canonical)
    throw new ReeltimeError(
      "REELTIME_ERR_BAD_SUBTITLES",
      `"${t.slice(0, 40)}" is not a language tag: use BCP 47, e.g. en, fr, pt-BR, zh-Hant`,
    );
  return canonical;
}

/** The English name of a language for players' menus (`fr` → French), or the tag itself. */
export function languageName(language: string): string {
  return names.of(language) ?? language;
}

/** One subtitle source from a language and a path; refuses a bad tag. */
export function subtitleSource(language: string, path: string, label?: string): SubtitleSource {
  const lang = subtitleLanguage(language);
  return { language: lang, name: languageName(lang), path, ...(label ? { label } : {}) };
}

/**
 * `--subtitles` values: each `LANG=FILE`, several in one value separated by commas
 * (`en=a.vtt,fr=b.vtt`) or the option repeated. A comma splits only before another `LANG=`, so
 * a path may hold commas. Throws REELTIME_ERR_USAGE for a malformed value or a language given twice.
 */
export function parseSubtitleOptions(values: readonly string[]): SubtitleSource[] {
  const out: SubtitleSource[] = [];
  for (const value of values)
    for (const item of value.split(/,(?=[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*=)/)) {
      const eq = item.indexOf("=");
      if (eq <= 0 || eq === item.length - 1)
        throw new ReeltimeError(
          "REELTIME_ERR_USAGE",
          `--subtitles takes LANG=FILE (e.g. en=talk.en.vtt), got "${item.slice(0, 80)}"`,
        );
      let source: SubtitleSource;
      try {
        source = subtitleSource(item.slice(0, eq), item.slice(eq + 1));
      } catch (err) {
        throw new ReeltimeError("REELTIME_ERR_USAGE", `--subtitles: ${(err as Error).message}`);
      }
      if (out.some((s) => s.language === source.language))
        throw new ReeltimeError(
          "REELTIME_ERR_USAGE",
          `--subtitles names ${source.language} twice; give one file per language`,
        );
      out.push(source);
    }
  return out;
}
