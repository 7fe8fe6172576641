// Hermetic: --subtitles values and language tags.
import { describe, expect, it } from "vitest";
import { languageName, parseSubtitleOptions, subtitleLanguage } from "../../src/subtitles/sources.ts";

describe("parseSubtitleOptions", () => {
  it("takes LANG=FILE, comma-separated or repeated, names each language in English", () => {
    expect(parseSubtitleOptions(["en=talk.en.vtt,fr=talk.fr.vtt", "pt-br=/tmp/a,b.vtt"])).toEqual([
      { language: "en", name: "English", path: "talk.en.vtt" },
      { language: "fr", name: "French", path: "talk.fr.vtt" },
      { language: "pt-BR", name: "Brazilian Portuguese", path: "/tmp/a,b.vtt" },
    ]);
    expect(parseSubtitleOptions([])).toEqual([]);
  });

  it("refuses a value without LANG=, a bad tag and a language given twice, as usage errors", () => {
    const usage = (values: string[], message: RegExp) => {
      try {
        parseSubtitleOptions(values);
        expect.unreachable();
      } catch (err) {
        expect((err as { code: string }).code).toBe("REELTIME_ERR_USAGE");
        expect((err as Error).message).toMatch(message);
      }
    };
    usage(["talk.vtt"], /--subtitles takes LANG=FILE \(e\.g\. en=talk\.en\.vtt\), got "talk\.vtt"/);
    usage(["en="], /takes LANG=FILE/);
    usage(["english=a.vtt"], /"english" is not a language tag: use BCP 47/);
    usage(["en=a.vtt", "EN=b.vtt"], /names en twice/);
  });
});

describe("language tags", () => {
  it("are canonical BCP 47, at most 20 characters", () => {
    expect(subtitleLanguage("zh-hant")).toBe("zh-Hant");
    expect(subtitleLanguage(" de ")).toBe("de");
    expect(() => subtitleLanguage("../en")).toThrow(/is not a language tag/);
    expect(() => subtitleLanguage("en-aaaaaaaa-bbbbbbbb-c")).toThrow(/is not a language tag/);
    expect(languageName("es")).toBe("Spanish");
    expect(languageName("qaa")).toBe("qaa");
  });
});
