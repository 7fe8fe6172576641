import { createHash } from "node:crypto";
import { chownSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "../errors.ts";
import { capture, lastLine, run } from "../exec.ts";

/**
 * The unprivileged account root-refusing services (Elasticsearch, PostgreSQL) run as when
 * reeltime runs as root.
 */
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
        `could not create the system user ${SERVICE_USER} for Elasticsearch and PostgreSQL (${lastLine(res.output)}); ` +
          `create it with \`useradd --system ${SERVICE_USER}\``,
      );
    }
  }
  const uid = Number(await capture("id", ["-u", SERVICE_USER]));
  const gid = Number(await capture("id", ["-g", SERVICE_USER]));
  return { uid, gid };
}

/** True when every existing ancestor of `path` lets other users through (mode o+x). */
export function othersCanReach(path: string): boolean {
  let dir = resolve(path);
  for (;;) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      // not created yet: its parent decides
    }
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/**
 * The folder of a service that runs as the service user: normally <state>/<service>; when we
 * are root and that user could not reach it (e.g. a clone under /root), a folder under /var/tmp
 * named after the state folder, `reeltime-<short>-<hash>`.
 */
export function serviceUserDir(stateDir: string, service: string, short: string): string {
  const preferred = join(stateDir, service);
  if (process.getuid?.() !== 0 || othersCanReach(stateDir)) return preferred;
  return join("/var/tmp", `reeltime-${short}-${createHash("sha256").update(stateDir).digest("hex").slice(0, 12)}`);
}

/** chown -R. */
export function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}
