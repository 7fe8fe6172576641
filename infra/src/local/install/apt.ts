import { existsSync, globSync, readdirSync } from "node:fs";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, retry, run } from "../exec.ts";

/** A Debian package and the file that shows it is installed (a `*` matches any one folder name). */
export interface DebianPackage {
  pkg: string;
  bin: string;
}

/**
 * Debian packages reeltime needs on the machine: Prometheus, Chromium + driver for browser
 * tests, ffmpeg, Redis, PostgreSQL (the `postgresql` package pulls the release's server, e.g.
 * postgresql-15 on Debian 12, whose programs live under /usr/lib/postgresql/<major>/bin), nginx
 * (the local edge cache in front of the media bucket).
 */
export const DEBIAN_PACKAGES: readonly DebianPackage[] = [
  { pkg: "prometheus", bin: "/usr/bin/prometheus" },
  { pkg: "chromium", bin: "/usr/bin/chromium" },
  { pkg: "chromium-driver", bin: "/usr/bin/chromedriver" },
  { pkg: "ffmpeg", bin: "/usr/bin/ffmpeg" },
  { pkg: "redis-server", bin: "/usr/bin/redis-server" },
  { pkg: "postgresql", bin: "/usr/lib/postgresql/*/bin/postgres" },
  { pkg: "nginx", bin: "/usr/sbin/nginx" },
];

/** True when the file exists, or for a pattern with `*`, when some file matches it. */
function present(bin: string): boolean {
  return bin.includes("*") ? globSync(bin).length > 0 : existsSync(bin);
}

/** The packages whose files are missing. */
export function missingPackages(packages: readonly DebianPackage[], exists = present): DebianPackage[] {
  return packages.filter((p) => !exists(p.bin));
}

function hasPackageLists(): boolean {
  try {
    return readdirSync("/var/lib/apt/lists").some((f) => f.endsWith("_Packages") || f.endsWith("_Packages.lz4"));
  } catch {
    return false;
  }
}

/**
 * Installs missing Debian packages with apt-get (as root, non-interactive), running
 * `apt-get update` first when the package lists are empty or an install fails.
 * Resolves the names it installed.
 */
export async function ensureDebianPackages(
  packages: readonly DebianPackage[],
  logFile: string,
  progress: (message: string) => void,
): Promise<string[]> {
  const missing = missingPackages(packages).map((p) => p.pkg);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new ReeltimeError(
      INFRA_ERRORS.apt,
      `missing Debian packages: ${missing.join(" ")}; install them with \`sudo apt-get install -y ${missing.join(" ")}\``,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  progress(`apt-get install ${missing.join(" ")} (first run only)`);
  let updated = false;
  await retry(
    3,
    async () => {
      if (!updated && !hasPackageLists()) {
        const upd = await run("apt-get", [...lock, "update", "-q"], { env, logFile });
        if (upd.code !== 0) throw new Error(`apt-get update failed: ${lastLine(upd.output)}`);
        updated = true;
      }
      const res = await run("apt-get", [...lock, "install", "-y", "-q", "--no-install-recommends", ...missing], {
        env,
        logFile,
      });
      if (res.code !== 0) {
        updated = false;
        const upd = await run("apt-get", [...lock, "update", "-q"], { env, logFile });
        if (upd.code === 0) updated = true;
        throw new Error(lastLine(res.output));
      }
    },
    (n, err) => progress(`apt-get attempt ${n} failed (${err instanceof Error ? err.message : String(err)}), retrying`),
  ).catch((err: unknown) => {
    throw new ReeltimeError(
      INFRA_ERRORS.apt,
      `could not install ${missing.join(" ")} with apt-get (${err instanceof Error ? err.message : String(err)}); ` +
        `run \`apt-get update && apt-get install -y ${missing.join(" ")}\` by hand (details: ${logFile})`,
    );
  });
  const still = missingPackages(packages.filter((p) => missing.includes(p.pkg)));
  if (still.length > 0) {
    throw new ReeltimeError(INFRA_ERRORS.apt, `apt-get finished but ${still.map((p) => p.bin).join(", ")} is missing`);
  }
  return missing;
}
