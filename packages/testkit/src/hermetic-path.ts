// The unit tier may use nothing outside node_modules: no ffmpeg, Chromium, Java, Go or running
// service. To make that a check that fails on every machine (not only on a fresh one that
// lacks those binaries), the unit tier runs with a PATH holding only node_modules/.bin and a
// folder of links to the basic shell tools below. A unit test that spawns any other system
// binary then fails with ENOENT here too, and belongs in the integration tier.
import { existsSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/** The basic shell tools a unit test may spawn: POSIX utilities, nothing that is a service or a media/browser/JVM tool. */
export const BASIC_SHELL_TOOLS = [
  "sh",
  "bash",
  "env",
  "cat",
  "ls",
  "mkdir",
  "rm",
  "cp",
  "mv",
  "ln",
  "sleep",
  "true",
  "false",
  "echo",
  "printf",
  "test",
  "uname",
  "id",
  "date",
  "grep",
  "sed",
  "head",
  "tail",
  "wc",
  "sort",
  "tr",
  "cut",
  "dirname",
  "basename",
  "mktemp",
  "chmod",
  "touch",
  "kill",
  "ps",
  "tar",
  "gzip",
] as const;

const SYSTEM_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/**
 * Creates (idempotently) `<root>/.reeltime/test/hermetic-bin` with links to the basic shell
 * tools and returns the PATH for the unit tier: `<root>/node_modules/.bin` then that folder.
 */
export function hermeticPath(root: string): string {
  const bin = join(root, ".reeltime", "test", "hermetic-bin");
  mkdirSync(bin, { recursive: true });
  for (const tool of BASIC_SHELL_TOOLS) {
    const target = SYSTEM_DIRS.map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!target) continue;
    const link = join(bin, tool);
    let current: string | undefined;
    try {
      current = readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current === target) continue;
    rmSync(link, { force: true });
    try {
      symlinkSync(target, link);
    } catch (err) {
      // Another vitest project or worker created it at the same moment.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return [join(root, "node_modules", ".bin"), bin].join(":");
}
