import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { displayPath } from "../context.ts";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, run } from "../exec.ts";
import { httpOk } from "../health.ts";
import { chownTree, serviceUser, serviceUserDir } from "../install/service-user.ts";
import { nginxWritableDirs, renderNginxArgs, renderNginxConf } from "../render/nginx-config.ts";
import { type EdgeLogField, edgeLogFields } from "../render/nginx-log-format.ts";
import type { LocalService } from "./types.ts";

const EDGE = LOCAL_ENDPOINTS.edge;
const BINARY = "/usr/sbin/nginx";

/**
 * The nginx prefix: normally <state>/nginx; when reeltime runs as root and the service user
 * cannot reach the state folder, a folder under /var/tmp (as for PostgreSQL).
 */
export function nginxDir(stateDir: string): string {
  return serviceUserDir(stateDir, "nginx", "nginx");
}

/** The edge's access log (CloudFront real-time layout), which the edge-shipper tails. */
export function edgeAccessLog(stateDir: string): string {
  return join(nginxDir(stateDir), "logs", "cloudfront-realtime.log");
}

/**
 * The edge's log fields in the canonical order of the CloudFront parser's field list (imported
 * when nginx starts: @reeltime/cdn-logs takes seconds to load, too long for every `infra` command).
 */
export async function loadEdgeLogFields(): Promise<EdgeLogField[]> {
  const { CLOUDFRONT_REALTIME_FIELDS } = await import("@reeltime/cdn-logs");
  return edgeLogFields(CLOUDFRONT_REALTIME_FIELDS);
}

/** The nginx.conf of the local edge, for a prefix and the local S3's media bucket. */
export function edgeConfig(prefix: string, accessLog: string, logFields: readonly EdgeLogField[]): string {
  const s3 = new URL(LOCAL_ENDPOINTS.s3.endpoint);
  return renderNginxConf({
    prefix,
    port: EDGE.port,
    origin: { host: s3.hostname, port: Number(s3.port), bucket: LOCAL_ENDPOINTS.s3.buckets.media },
    location: EDGE.location,
    accessLog,
    logFields,
  });
}

/** "1.22.1" from `nginx -v`'s "nginx version: nginx/1.22.1". */
export function parseNginxVersion(output: string): string | undefined {
  return /nginx\/(\S+)/.exec(output)?.[1];
}

let version: string | undefined;

/**
 * The local edge: Debian's `nginx` package (BSD-2-Clause) as an HTTP cache in front of the media
 * bucket, on 127.0.0.1:8081, everything it writes under its prefix, run as the service user when
 * reeltime runs as root. Its access log is CloudFront's real-time log layout; `edge-shipper`
 * puts each line into the Kinesis stream `reeltime.cdn.realtime`.
 */
export const nginx: LocalService = {
  name: "nginx",
  ports: [EDGE.port],
  url: EDGE.url,
  startTimeoutMs: 30_000,
  needsApt: true,

  async install() {
    // Installed with the other Debian packages before this runs.
    return false;
  },

  async prepare(ctx) {
    const prefix = nginxDir(ctx.settings.stateDir);
    if (prefix !== ctx.dir) {
      ctx.progress(`the service user cannot reach ${ctx.settings.stateDir}; nginx's prefix is ${prefix}`);
    }
    for (const d of nginxWritableDirs(prefix)) mkdirSync(d, { recursive: true });
    const config = join(prefix, "nginx.conf");
    writeFileSync(config, edgeConfig(prefix, edgeAccessLog(ctx.settings.stateDir), await loadEdgeLogFields()));
    const user = await serviceUser(ctx.logFile);
    if (user) chownTree(prefix, user.uid, user.gid);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" };
    const test = await run(BINARY, ["-t", "-p", prefix, "-c", config, "-e", "stderr"], {
      cwd: prefix,
      env,
      logFile: ctx.logFile,
      ...(user ? { user } : {}),
    });
    if (test.code !== 0) {
      throw new ReeltimeError(
        INFRA_ERRORS.up,
        `nginx refused its config ${displayPath(config)} (${lastLine(test.output)}); see ${displayPath(ctx.logFile)}`,
      );
    }
    return { command: BINARY, args: renderNginxArgs(prefix, config), cwd: prefix, env, ...(user ? { user } : {}) };
  },

  async probe() {
    if (!(await httpOk(`${EDGE.url}/nginx-health`))) return { healthy: false, detail: "no answer on /nginx-health" };
    if (version === undefined) {
      const res = await run(BINARY, ["-v"]);
      version = parseNginxVersion(res.output);
    }
    return { healthy: true, ...(version ? { version } : {}) };
  },
};
