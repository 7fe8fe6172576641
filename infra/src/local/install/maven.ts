import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "../errors.ts";
import { capture, lastLine, retry, run } from "../exec.ts";
import { type MavenDependency, renderFetchPom } from "../render/maven-pom.ts";
import type { ServiceContext } from "../services/types.ts";

const COMPLETE = ".complete";

/**
 * Gathers Maven artifacts (and their runtime dependencies) into `<targetDir>`, once: the
 * local Maven repository lives in the cache, and a marker file says the folder is complete.
 * Resolves true when it had to download.
 */
export function fetchMavenArtifacts(
  ctx: ServiceContext,
  what: string,
  targetDir: string,
  deps: readonly MavenDependency[],
  opts: { transitive: boolean },
): Promise<boolean> {
  return fetchOnce(ctx, what, targetDir, (workDir) => {
    writeFileSync(join(workDir, "pom.xml"), renderFetchPom("fetch", deps));
    return [
      "-f",
      join(workDir, "pom.xml"),
      "dependency:copy-dependencies",
      `-DoutputDirectory=${join(workDir, "out")}`,
      "-DincludeScope=runtime",
      `-DexcludeTransitive=${!opts.transitive}`,
    ];
  });
}

/**
 * Copies one Maven artifact, without its dependencies or their descriptors, into `<targetDir>`,
 * once (same cache and marker as {@link fetchMavenArtifacts}). For a distribution archive such
 * as Trino's server tar.gz, whose POM names plugin artifacts that only other repositories hold:
 * `dependency:copy` reads none of them. Resolves true when it had to download.
 */
export function fetchMavenArtifact(
  ctx: ServiceContext,
  what: string,
  targetDir: string,
  dep: MavenDependency,
): Promise<boolean> {
  const artifact = `${dep.groupId}:${dep.artifactId}:${dep.version}:${dep.type ?? "jar"}`;
  return fetchOnce(ctx, what, targetDir, (workDir) => [
    "dependency:copy",
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${join(workDir, "out")}`,
  ]);
}

/**
 * Runs one Maven goal (its arguments from `goal`, which may write files into the work folder)
 * with the cached local repository and three attempts, into `<targetDir>.work/out`, then moves
 * that folder to `<targetDir>` with the completion marker. Skips everything when the marker is
 * there already.
 */
async function fetchOnce(
  ctx: ServiceContext,
  what: string,
  targetDir: string,
  goal: (workDir: string) => string[],
): Promise<boolean> {
  if (existsSync(join(targetDir, COMPLETE))) return false;
  if (!(await capture("sh", ["-c", "command -v mvn"]))) {
    throw new ReeltimeError(INFRA_ERRORS.missingTool, "no `mvn` on PATH: install Maven (apt-get install maven)");
  }
  const workDir = `${targetDir}.work`;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const goalArgs = goal(workDir);
  const repo = join(ctx.settings.cacheDir, "m2");
  ctx.progress(`downloading ${what} from Maven Central (first run only)`);
  await retry(
    3,
    async (attempt) => {
      const res = await run(
        "mvn",
        ["-B", "-ntp", ...(attempt > 1 ? ["-U"] : []), `-Dmaven.repo.local=${repo}`, ...goalArgs],
        { logFile: ctx.logFile, cwd: workDir },
      );
      if (res.code !== 0) {
        throw new ReeltimeError(
          INFRA_ERRORS.download,
          `could not download ${what} from Maven Central (${lastLine(res.output.replace(/\[ERROR\]\s*/g, ""))}); ` +
            `check that Maven Central is reachable and run \`reeltime infra up\` again (details: ${ctx.logFile})`,
        );
      }
    },
    (n) => ctx.progress(`download attempt ${n} failed, retrying`),
  );
  writeFileSync(join(workDir, "out", COMPLETE), new Date().toISOString());
  rmSync(targetDir, { recursive: true, force: true });
  renameSync(join(workDir, "out"), targetDir);
  rmSync(workDir, { recursive: true, force: true });
  return true;
}
