import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, run } from "../exec.ts";
import { getJson } from "../health.ts";
import { fetchMavenArtifact } from "../install/maven.ts";
import { trinoJavaHome } from "../java.ts";
import { renderTrinoConfig, renderTrinoHiveCatalog, trinoJvmArgs } from "../render/trino-config.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const HTTP_PORT = LOCAL_ENDPOINTS.trino.port;
const HEAP = "1G";
/** The only plugin the local node loads: start-up with all ~60 of the distribution takes minutes on 2 cores. */
const PLUGINS = ["hive"];

function tarDir(ctx: ServiceContext): string {
  return join(ctx.settings.cacheDir, "trino", VERSIONS.trino);
}

/** The unpacked distribution, in the cache (read-only; Trino writes only under its state folder). */
function home(ctx: ServiceContext): string {
  return join(tarDir(ctx), "dist", `trino-server-${VERSIONS.trino}`);
}

async function ensureHome(ctx: ServiceContext): Promise<boolean> {
  const dist = join(tarDir(ctx), "dist");
  if (existsSync(join(dist, ".complete"))) return false;
  ctx.progress("unpacking the Trino distribution (first run only)");
  const work = `${dist}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const tar = join(tarDir(ctx), `trino-server-${VERSIONS.trino}.tar.gz`);
  const res = await run("tar", ["-xzf", tar, "-C", work], { logFile: ctx.logFile });
  if (res.code !== 0) {
    rmSync(work, { recursive: true, force: true });
    rmSync(join(tarDir(ctx), ".complete"), { force: true });
    throw new ReeltimeError(
      INFRA_ERRORS.download,
      `could not unpack ${tar} (${lastLine(res.output)}); it will be downloaded again on the next \`reeltime infra up\``,
    );
  }
  writeFileSync(join(work, ".complete"), new Date().toISOString());
  rmSync(dist, { recursive: true, force: true });
  renameSync(work, dist);
  return true;
}

/**
 * Trino, single node (coordinator that also runs the work), from the server tar.gz Trino publishes
 * on Maven Central, on Java 25, heap 1 GB, loopback only. One catalog, `hive`: a file metastore
 * in the state folder over the archive bucket on the local S3 endpoint, the engine Athena's
 * engine v3 is built on (`reeltime analytics ddl --engine trino --apply` creates the tables).
 */
export const trino: LocalService = {
  name: "trino",
  ports: [HTTP_PORT],
  url: LOCAL_ENDPOINTS.trino.url,
  startTimeoutMs: 180_000,

  async install(ctx) {
    const fetched = await fetchMavenArtifact(ctx, `Trino ${VERSIONS.trino}`, tarDir(ctx), {
      groupId: "io.trino",
      artifactId: "trino-server",
      version: VERSIONS.trino,
      type: "tar.gz",
    });
    const unpacked = await ensureHome(ctx);
    const java = await trinoJavaHome(ctx);
    return fetched || unpacked || java.installed;
  },

  async prepare(ctx) {
    const etc = join(ctx.dir, "etc");
    const catalogDir = join(etc, "catalog");
    const pluginDir = join(ctx.dir, "plugin");
    const dataDir = join(ctx.dir, "data");
    const metastoreDir = join(ctx.dir, "metastore");
    for (const d of [catalogDir, pluginDir, dataDir, metastoreDir]) mkdirSync(d, { recursive: true });
    for (const p of PLUGINS) {
      rmSync(join(pluginDir, p), { force: true });
      symlinkSync(join(home(ctx), "plugin", p), join(pluginDir, p));
    }
    const config = join(etc, "config.properties");
    writeFileSync(config, renderTrinoConfig({ host: "127.0.0.1", port: HTTP_PORT, pluginDir, catalogDir }));
    const s3 = LOCAL_ENDPOINTS.s3;
    writeFileSync(
      join(catalogDir, `${LOCAL_ENDPOINTS.trino.catalog}.properties`),
      renderTrinoHiveCatalog({
        metastoreDir,
        s3: {
          endpoint: s3.endpoint,
          region: LOCAL_ENDPOINTS.region,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
        },
      }),
    );
    const { javaHome } = await trinoJavaHome(ctx);
    return {
      command: join(javaHome, "bin", "java"),
      args: [
        ...trinoJvmArgs(HEAP),
        `-Dconfig=${config}`,
        "-cp",
        `${join(home(ctx), "lib")}/*`,
        "io.trino.server.TrinoServer",
      ],
      cwd: dataDir,
      env: { PATH: process.env.PATH, LANG: process.env.LANG ?? "C.UTF-8", HOME: ctx.dir, JAVA_HOME: javaHome },
    };
  },

  async probe() {
    const info = await getJson<{ nodeVersion?: { version?: string }; starting?: boolean }>(
      `${LOCAL_ENDPOINTS.trino.url}/v1/info`,
    );
    const version = info.nodeVersion?.version;
    return {
      healthy: info.starting === false,
      ...(version ? { version } : {}),
      detail: info.starting === false ? "coordinator ready" : "starting",
    };
  },
};
