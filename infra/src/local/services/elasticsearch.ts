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
import type { LocalService, ServiceContext, ServiceName } from "./types.ts";

/**
 * The node's folder (distribution, config, data). Normally <state>/elasticsearch; when the
 * unprivileged user could not reach it (e.g. a clone under /root), a folder under /var/tmp
 * named after the state folder.
 */
export function elasticsearchDir(stateDir: string): string {
  return serviceUserDir(stateDir, "elasticsearch", "es");
}

/** One single-node Elasticsearch of a given major: where it lives, its ports, heap and Java. */
export interface ElasticsearchNodeSpec {
  name: ServiceName;
  /** For messages: "Elasticsearch 8.19.21". */
  version: string;
  /** The node's folder (distribution, config, data, logs, tmp). */
  nodeDir(stateDir: string): string;
  /** Its folder's name under the state folder, for the "cannot reach" note. */
  stateName: string;
  httpPort: number;
  transportPort: number;
  url: string;
  heap: string;
  clusterName?: string;
  nodeName?: string;
  /** The Java it runs on (the integ-test zip bundles none) and whether getting it installed something. */
  java(ctx: ServiceContext): Promise<{ javaHome: string; installed: boolean }>;
}

function zipDir(ctx: ServiceContext, version: string): string {
  return join(ctx.settings.cacheDir, "elasticsearch", version);
}

/** Unpacks the cached distribution zip into the state folder (the service user cannot read ~root). */
async function ensureHome(ctx: ServiceContext, nodeDir: string, version: string): Promise<string> {
  const home = join(nodeDir, "dist", `elasticsearch-${version}`);
  if (existsSync(join(home, "bin", "elasticsearch"))) return home;
  ctx.progress("unpacking the Elasticsearch distribution");
  const dist = join(nodeDir, "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const zip = join(zipDir(ctx, version), `elasticsearch-${version}.zip`);
  const res = await run("unzip", ["-q", "-o", zip, "-d", dist], { logFile: ctx.logFile });
  if (res.code !== 0) {
    rmSync(join(zipDir(ctx, version), ".complete"), { force: true });
    throw new ReeltimeError(
      INFRA_ERRORS.download,
      `could not unpack ${zip} (${lastLine(res.output)}); it will be downloaded again on the next \`reeltime infra up\``,
    );
  }
  return home;
}

/**
 * A real Elasticsearch server: the integ-test distribution zip Elastic publishes on Maven
 * Central, one node on loopback, a fixed heap, run as an unprivileged user because it refuses
 * root. `elasticsearch` (8) and `elasticsearch9` are two of these.
 */
export function elasticsearchNode(spec: ElasticsearchNodeSpec): LocalService {
  return {
    name: spec.name,
    ports: [spec.httpPort, spec.transportPort],
    url: spec.url,
    startTimeoutMs: 240_000,

    async install(ctx) {
      const fetched = await fetchMavenArtifacts(
        ctx,
        `Elasticsearch ${spec.version}`,
        zipDir(ctx, spec.version),
        [
          {
            groupId: "org.elasticsearch.distribution.integ-test-zip",
            artifactId: "elasticsearch",
            version: spec.version,
            type: "zip",
          },
        ],
        { transitive: false },
      );
      const java = await spec.java(ctx);
      return fetched || java.installed;
    },

    async prepare(ctx) {
      const nodeDir = spec.nodeDir(ctx.settings.stateDir);
      if (nodeDir !== join(ctx.settings.stateDir, spec.stateName)) {
        ctx.progress(`the service user cannot reach ${ctx.settings.stateDir}; node data goes to ${nodeDir}`);
      }
      mkdirSync(nodeDir, { recursive: true, mode: 0o755 });
      const home = await ensureHome(ctx, nodeDir, spec.version);
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
          httpPort: spec.httpPort,
          transportPort: spec.transportPort,
          dataDir: data,
          logsDir: logs,
          ...(spec.clusterName ? { clusterName: spec.clusterName } : {}),
          ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
        }),
      );
      writeFileSync(join(conf, "jvm.options.d", "reeltime-heap.options"), renderElasticsearchHeap(spec.heap));
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
          ES_JAVA_HOME: (await spec.java(ctx)).javaHome,
          ES_TMPDIR: tmp,
        },
        ...(user ? { user } : {}),
      };
    },

    async probe() {
      const base = spec.url;
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
}

/**
 * Elasticsearch 8, the real server: one node on loopback, heap 1 GB, on the machine's JDK 17+.
 */
export const elasticsearch: LocalService = elasticsearchNode({
  name: "elasticsearch",
  version: VERSIONS.elasticsearch,
  nodeDir: elasticsearchDir,
  stateName: "elasticsearch",
  httpPort: 9200,
  transportPort: 9300,
  url: LOCAL_ENDPOINTS.elasticsearch.url,
  heap: "1g",
  java: async () => ({ javaHome: await javaHome(), installed: false }),
});
