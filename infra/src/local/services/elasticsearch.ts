import { chownSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, run } from "../exec.ts";
import { getJson } from "../health.ts";
import { fetchMavenArtifacts } from "../install/maven.ts";
import { chownTree, serviceUser, serviceUserDir } from "../install/service-user.ts";
import { javaHome } from "../java.ts";
import { renderElasticsearchHeap, renderElasticsearchYml } from "../render/elasticsearch-config.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const HTTP_PORT = 9200;
const TRANSPORT_PORT = 9300;
const HEAP = "1g";

function zipDir(ctx: ServiceContext): string {
  return join(ctx.settings.cacheDir, "elasticsearch", VERSIONS.elasticsearch);
}

/**
 * The node's folder (distribution, config, data). Normally <state>/elasticsearch; when the
 * unprivileged user could not reach it (e.g. a clone under /root), a folder under /var/tmp
 * named after the state folder.
 */
export function elasticsearchDir(stateDir: string): string {
  return serviceUserDir(stateDir, "elasticsearch", "es");
}

/** Unpacks the cached distribution zip into the state folder (the service user cannot read ~root). */
async function ensureHome(ctx: ServiceContext, nodeDir: string): Promise<string> {
  const home = join(nodeDir, "dist", `elasticsearch-${VERSIONS.elasticsearch}`);
  if (existsSync(join(home, "bin", "elasticsearch"))) return home;
  ctx.progress("unpacking the Elasticsearch distribution");
  const dist = join(nodeDir, "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const zip = join(zipDir(ctx), `elasticsearch-${VERSIONS.elasticsearch}.zip`);
  const res = await run("unzip", ["-q", "-o", zip, "-d", dist], { logFile: ctx.logFile });
  if (res.code !== 0) {
    rmSync(join(zipDir(ctx), ".complete"), { force: true });
    throw new ReeltimeError(
      INFRA_ERRORS.download,
      `could not unpack ${zip} (${lastLine(res.output)}); it will be downloaded again on the next \`reeltime infra up\``,
    );
  }
  return home;
}

/**
 * Elasticsearch 8, the real server: the distribution zip Elastic publishes on Maven Central,
 * one node on loopback, heap 1 GB, run as an unprivileged user because it refuses root.
 */
export const elasticsearch: LocalService = {
  name: "elasticsearch",
  ports: [HTTP_PORT, TRANSPORT_PORT],
  url: LOCAL_ENDPOINTS.elasticsearch.url,
  startTimeoutMs: 240_000,

  async install(ctx) {
    return fetchMavenArtifacts(
      ctx,
      `Elasticsearch ${VERSIONS.elasticsearch}`,
      zipDir(ctx),
      [
        {
          groupId: "org.elasticsearch.distribution.integ-test-zip",
          artifactId: "elasticsearch",
          version: VERSIONS.elasticsearch,
          type: "zip",
        },
      ],
      { transitive: false },
    );
  },

  async prepare(ctx) {
    const nodeDir = elasticsearchDir(ctx.settings.stateDir);
    if (nodeDir !== join(ctx.settings.stateDir, "elasticsearch")) {
      ctx.progress(`the service user cannot reach ${ctx.settings.stateDir}; node data goes to ${nodeDir}`);
    }
    mkdirSync(nodeDir, { recursive: true, mode: 0o755 });
    const home = await ensureHome(ctx, nodeDir);
    const conf = join(nodeDir, "config");
    const data = join(nodeDir, "data");
    const logs = join(nodeDir, "logs");
    const tmp = join(nodeDir, "tmp");
    if (!existsSync(join(conf, "jvm.options"))) cpSync(join(home, "config"), conf, { recursive: true });
    mkdirSync(join(conf, "jvm.options.d"), { recursive: true });
    mkdirSync(data, { recursive: true });
    mkdirSync(logs, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(
      join(conf, "elasticsearch.yml"),
      renderElasticsearchYml({
        host: "127.0.0.1",
        httpPort: HTTP_PORT,
        transportPort: TRANSPORT_PORT,
        dataDir: data,
        logsDir: logs,
      }),
    );
    writeFileSync(join(conf, "jvm.options.d", "reeltime-heap.options"), renderElasticsearchHeap(HEAP));
    const user = await serviceUser(ctx.logFile);
    if (user) {
      // The distribution stays root-owned and read-only; the node writes only config, data, logs, tmp.
      chownSync(nodeDir, user.uid, user.gid);
      for (const dir of [conf, data, logs, tmp]) chownTree(dir, user.uid, user.gid);
    }
    return {
      command: join(home, "bin", "elasticsearch"),
      args: [],
      cwd: nodeDir,
      env: {
        PATH: process.env.PATH,
        LANG: process.env.LANG ?? "C.UTF-8",
        HOME: nodeDir,
        ES_PATH_CONF: conf,
        ES_JAVA_HOME: await javaHome(),
        ES_TMPDIR: tmp,
      },
      ...(user ? { user } : {}),
    };
  },

  async probe() {
    const base = LOCAL_ENDPOINTS.elasticsearch.url;
    const health = await getJson<{ status: string }>(`${base}/_cluster/health?timeout=2s`);
    const nodes = await getJson<{ nodes: Record<string, { version: string }> }>(
      `${base}/_nodes/_local?filter_path=nodes.*.version`,
    );
    const version = Object.values(nodes.nodes)[0]?.version;
    return {
      healthy: health.status === "green" || health.status === "yellow",
      ...(version ? { version } : {}),
      detail: `cluster ${health.status}`,
    };
  },
};
