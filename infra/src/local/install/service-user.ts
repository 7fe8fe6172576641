import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "../errors.ts";
import { capture, lastLine, run } from "../exec.ts";

/** The unprivileged account Elasticsearch runs as when reeltime runs as root (ES refuses root). */
export const SERVICE_USER = "reeltime";

/**
 * The uid/gid to run a root-refusing service as: undefined when we are not root (run as
 * ourselves), else the dedicated system user, created on first use.
 */
export async function serviceUser(logFile: string): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  if (!(await capture("id", ["-u", SERVICE_USER]))) {
    const res = await run(
      "useradd",
      ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_USER],
      { logFile },
    );
    if (res.code !== 0 && !(await capture("id", ["-u", SERVICE_USER]))) {
      throw new ReeltimeError(
        INFRA_ERRORS.missingTool,
        `could not create the system user ${SERVICE_USER} for Elasticsearch (${lastLine(res.output)}); create it with ` +
          `\`useradd --system ${SERVICE_USER}\``,
      );
    }
  }
  const uid = Number(await capture("id", ["-u", SERVICE_USER]));
  const gid = Number(await capture("id", ["-g", SERVICE_USER]));
  return { uid, gid };
}
