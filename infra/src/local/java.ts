import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "./errors.ts";
import { capture } from "./exec.ts";

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
