import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { displayPath } from "../context.ts";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { INFRA_ERRORS } from "../errors.ts";
import { lastLine, run } from "../exec.ts";
import { serviceUser, serviceUserDir } from "../install/service-user.ts";
import {
  choosePostgresMajor,
  parseServerVersion,
  renderInitdbArgs,
  renderPgHba,
  renderPostgresArgs,
  renderSingleUserArgs,
} from "../render/postgres-config.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const PG = LOCAL_ENDPOINTS.postgres;
/** Where Debian puts each PostgreSQL major's programs: /usr/lib/postgresql/<major>/bin. */
const PG_LIB = "/usr/lib/postgresql";

/**
 * The cluster's folder (data/, pg_hba.conf). Normally <state>/postgres; when the service user
 * could not reach it (e.g. a clone under /root), a folder under /var/tmp, as for Elasticsearch.
 */
export function postgresDir(stateDir: string): string {
  return serviceUserDir(stateDir, "postgres", "pg");
}

/** The PostgreSQL majors installed (a server binary under /usr/lib/postgresql/<major>/bin). */
export function installedPostgresMajors(root = PG_LIB): number[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e) && existsSync(join(root, e, "bin", "postgres")))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The major that made a data folder (its PG_VERSION), or undefined when there is none yet. */
function dataMajor(dataDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The bin folder of the server to run for `dataDir`; throws one line saying what to install. */
export function postgresBinDir(dataDir: string, root = PG_LIB): string {
  const installed = installedPostgresMajors(root);
  const made = dataMajor(dataDir);
  const major = choosePostgresMajor(installed, made);
  if (major !== undefined) return join(root, String(major), "bin");
  if (installed.length === 0) {
    throw new ReeltimeError(
      INFRA_ERRORS.missingTool,
      `PostgreSQL is not installed (no ${root}/*/bin/postgres); install it with \`apt-get install -y postgresql\``,
    );
  }
  throw new ReeltimeError(
    INFRA_ERRORS.missingTool,
    `the PostgreSQL data in ${displayPath(dataDir)} was made by PostgreSQL ${made}, which is not installed ` +
      `(installed: ${installed.join(", ")}); install postgresql-${made}, or delete the data with ` +
      "`reeltime infra down --only postgres --purge`",
  );
}

/**
 * The line of PostgreSQL programs' output that says what went wrong: the first FATAL/ERROR
 * (initdb's last line is only "removing data directory"), else the last line.
 */
export function failureLine(output: string): string {
  const line = /^.*\b(?:PANIC|FATAL|ERROR|error):\s.*$/m.exec(output)?.[0];
  // Drop what precedes the server's own log prefix ("2026-12-04 05:23:11.934 UTC [30672] ").
  const prefix = /^.*?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\]\s*/;
  return line ? lastLine(line.replace(prefix, "")) : lastLine(output);
}

/** Environment of PostgreSQL's programs: none of the caller's PG* variables, a UTF-8 locale. */
function pgEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...extra };
}

/**
 * A postmaster.pid left by a server that was killed: removed when its PID is not a live
 * postgres (PostgreSQL itself refuses to start when the PID now belongs to another process,
 * which happens after a container restart); a live postgres on our data is reported.
 */
function clearStaleLock(dataDir: string): void {
  const lock = join(dataDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8").split("\n")[0]);
  } catch {
    return;
  }
  let comm = "";
  try {
    comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    // no such process
  }
  if (comm === "postgres" || comm === "postmaster") {
    throw new ReeltimeError(
      INFRA_ERRORS.up,
      `a PostgreSQL server reeltime did not start (pid ${pid}) is running on ${displayPath(dataDir)}; stop it ` +
        `(\`kill ${pid}\`), then run \`reeltime infra up\` again`,
    );
  }
  rmSync(lock, { force: true });
}

/**
 * initdb on first start: the `reeltime` role (the cluster's superuser, with the local
 * password) and the `reeltime` database, made in a scratch folder that becomes data/ only when
 * both worked, so a failed attempt leaves nothing half made.
 */
async function initCluster(
  ctx: ServiceContext,
  binDir: string,
  dir: string,
  dataDir: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  const scratch = join(dir, "data.init");
  const passwordFile = join(dir, "initdb.pw");
  rmSync(scratch, { recursive: true, force: true });
  writeFileSync(passwordFile, `${PG.password}\n`, { mode: 0o600 });
  if (user) chownSync(passwordFile, user.uid, user.gid);
  const log = displayPath(ctx.logFile);
  const fail = (what: string, output: string): ReeltimeError => {
    rmSync(scratch, { recursive: true, force: true });
    return new ReeltimeError(
      INFRA_ERRORS.provision,
      `PostgreSQL ${what} failed (${failureLine(output)}); see ${log}, then run \`reeltime infra up\` again`,
    );
  };
  ctx.progress("initdb (first start): role reeltime, database reeltime");
  try {
    const opts = { cwd: dir, env: pgEnv(), logFile: ctx.logFile, ...(user ? { user } : {}) };
    const init = await run(
      join(binDir, "initdb"),
      renderInitdbArgs({ dataDir: scratch, user: PG.user, passwordFile }),
      opts,
    );
    if (init.code !== 0) throw fail("initdb", init.output);
    const create = await run(join(binDir, "postgres"), renderSingleUserArgs(scratch), {
      ...opts,
      input: `CREATE DATABASE ${PG.database};\n`,
    });
    // Single-user mode reports a failed statement in its output and still exits 0.
    if (create.code !== 0 || /\b(?:PANIC|FATAL|ERROR):\s/.test(create.output)) {
      throw fail(`CREATE DATABASE ${PG.database}`, create.output);
    }
  } finally {
    rmSync(passwordFile, { force: true });
  }
  renameSync(scratch, dataDir);
}

/**
 * PostgreSQL from Debian's `postgresql` package, one cluster of reeltime's own under the state
 * folder, on 127.0.0.1:5433 over TCP only; run as the service user when reeltime runs as root
 * (PostgreSQL refuses root). The catalogue, uploads and notifier store here (REELTIME_PG_URL).
 */
export const postgres: LocalService = {
  name: "postgres",
  ports: [PG.port],
  // The URL without its password: reports print this.
  url: `postgres://${PG.user}@127.0.0.1:${PG.port}/${PG.database}`,
  startTimeoutMs: 60_000,
  // Fast shutdown: open sessions are ended and the server stops cleanly at once (SIGTERM's
  // smart shutdown would wait for the platform's pooled connections, then be SIGKILLed).
  stopSignal: "SIGINT",
  needsApt: true,

  async install() {
    // Installed with the other Debian packages before this runs.
    return false;
  },

  async prepare(ctx) {
    const dir = postgresDir(ctx.settings.stateDir);
    if (dir !== ctx.dir) {
      ctx.progress(`the service user cannot reach ${ctx.settings.stateDir}; the cluster goes to ${dir}`);
    }
    const dataDir = join(dir, "data");
    const binDir = postgresBinDir(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const user = await serviceUser(ctx.logFile);
    if (user) chownSync(dir, user.uid, user.gid);
    if (existsSync(join(dataDir, "PG_VERSION"))) clearStaleLock(dataDir);
    else await initCluster(ctx, binDir, dir, dataDir, user);
    const hbaFile = join(dir, "pg_hba.conf");
    writeFileSync(hbaFile, renderPgHba());
    if (user) chownSync(hbaFile, user.uid, user.gid);
    return {
      command: join(binDir, "postgres"),
      args: renderPostgresArgs({ dataDir, port: PG.port, hbaFile }),
      cwd: dir,
      env: pgEnv(),
      ...(user ? { user } : {}),
    };
  },

  async probe() {
    // A real connection, as the role to the database of REELTIME_PG_URL, with the newest psql.
    const majors = installedPostgresMajors();
    const newest = majors.at(-1);
    if (newest === undefined) return { healthy: false, detail: "PostgreSQL is not installed" };
    const res = await run(
      join(PG_LIB, String(newest), "bin", "psql"),
      [
        "-X",
        "-q",
        "-A",
        "-t",
        "-h",
        "127.0.0.1",
        "-p",
        String(PG.port),
        "-U",
        PG.user,
        "-d",
        PG.database,
        "-c",
        "SHOW server_version",
      ],
      { env: pgEnv({ PGPASSWORD: PG.password, PGCONNECT_TIMEOUT: "3", PGSSLMODE: "disable" }) },
    );
    if (res.code !== 0) return { healthy: false, detail: lastLine(res.output) };
    const version = parseServerVersion(res.output);
    return { healthy: true, ...(version ? { version } : {}), detail: `accepting connections to ${PG.database}` };
  },
};
