import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";

/**
 * The video `reeltime dev` transcodes: the one given, or a 20 s test pattern with a tone that
 * ffmpeg generates once. ffmpeg comes from Debian; when it is missing it is installed (as root)
 * or the dev stack runs without a sample and says how to get one.
 */
export async function ensureSampleVideo(
  given: string | undefined,
  dataDir: string,
  print: (line: string) => void,
): Promise<string | undefined> {
  if (given) {
    const path = resolve(given);
    if (!existsSync(path)) throw new ReeltimeError("REELTIME_ERR_INPUT", `no such video: ${path}`);
    return path;
  }
  const dir = join(dataDir, "sample");
  const file = join(dir, "reeltime-sample.mp4");
  if (existsSync(file)) return file;
  if (!existsSync("/usr/bin/ffmpeg")) {
    try {
      const { DEBIAN_PACKAGES, ensureDebianPackages } = await import("@reeltime/infra");
      await ensureDebianPackages(
        DEBIAN_PACKAGES.filter((p) => p.pkg === "ffmpeg"),
        join(dataDir, "apt.log"),
        print,
      );
    } catch (err) {
      print(`ffmpeg is missing and could not be installed (${(err as Error).message}); running without a sample video`);
      return undefined;
    }
  }
  await mkdir(dir, { recursive: true });
  print("generating a 20 s sample video with ffmpeg…");
  const r = spawnSync(
    "ffmpeg",
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=1280x720:rate=30:duration=20",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:duration=20",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-shortest",
      file,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) {
    print(
      `ffmpeg could not generate the sample (${r.stderr.trim().split("\n").at(-1)}); running without a sample video`,
    );
    return undefined;
  }
  return file;
}
