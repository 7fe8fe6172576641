import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { purgePaths } from "../src/local/down.ts";
import { endpointsFromEnv, LOCAL_ENDPOINTS, localServicesEnv } from "../src/local/endpoints.ts";
import { run } from "../src/local/exec.ts";
import { DEBIAN_PACKAGES, missingPackages } from "../src/local/install/apt.ts";
import {
  choosePostgresMajor,
  parseServerVersion,
  renderInitdbArgs,
  renderPgHba,
  renderPostgresArgs,
  renderSingleUserArgs,
} from "../src/local/render/postgres-config.ts";
import { SERVICES } from "../src/local/services/index.ts";
import {
  failureLine,
  installedPostgresMajors,
  postgres,
  postgresBinDir,
  postgresDir,
} from "../src/local/services/postgres.ts";
import { SERVICE_NAMES } from "../src/local/services/types.ts";

const dir = mkdtempSync(join(tmpdir(), "reeltime-postgres-"));
// mkdtemp makes 0700; a state folder the service user can reach is 0755.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `-c name=value` pairs of a postgres command line. */
function settingsOf(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  args.forEach((a, i) => {
    if (a !== "-c") return;
    const kv = args[i + 1]!;
    out.set(kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1));
  });
  return out;
}

describe("local PostgreSQL: endpoints", () => {
  it("listens on 5433 (Debian's own cluster has 5432) with the reeltime role and database", () => {
    expect(LOCAL_ENDPOINTS.postgres.url).toBe("postgres://reeltime:reeltime-local-secret@127.0.0.1:5433/reeltime");
    const url = new URL(LOCAL_ENDPOINTS.postgres.url);
    expect([url.hostname, Number(url.port), url.username, url.password, url.pathname]).toEqual([
      "127.0.0.1",
      LOCAL_ENDPOINTS.postgres.port,
      LOCAL_ENDPOINTS.postgres.user,
      LOCAL_ENDPOINTS.postgres.password,
      `/${LOCAL_ENDPOINTS.postgres.database}`,
    ]);
  });

  it("is in the env tests and the drill get, and REELTIME_PG_URL points elsewhere", () => {
    expect(localServicesEnv().REELTIME_PG_URL).toBe(LOCAL_ENDPOINTS.postgres.url);
    expect(endpointsFromEnv({}).postgres).toEqual({ url: LOCAL_ENDPOINTS.postgres.url });
    expect(endpointsFromEnv({ REELTIME_PG_URL: "postgres://u:p@db.internal:5432/x" }).postgres).toEqual({
      url: "postgres://u:p@db.internal:5432/x",
    });
  });

  it("is a managed service, started after the Debian packages, reported without its password", () => {
    expect(SERVICE_NAMES).toContain("postgres");
    expect(SERVICES).toContain(postgres);
    expect(postgres.ports).toEqual([5433]);
    expect(postgres.needsApt).toBe(true);
    expect(postgres.url).toBe("postgres://reeltime@127.0.0.1:5433/reeltime");
  });
});

describe("local PostgreSQL: Debian package", () => {
  it("is installed by apt when no major's server binary is there", () => {
    const pkg = DEBIAN_PACKAGES.find((p) => p.pkg === "postgresql");
    expect(pkg).toEqual({ pkg: "postgresql", bin: "/usr/lib/postgresql/*/bin/postgres" });
    expect(missingPackages([pkg!], () => false)).toEqual([pkg]);
    expect(missingPackages([pkg!], (p) => p === "/usr/lib/postgresql/*/bin/postgres")).toEqual([]);
  });

  it("matches a pattern against the file system", () => {
    mkdirSync(join(dir, "pg", "15", "bin"), { recursive: true });
    writeFileSync(join(dir, "pg", "15", "bin", "postgres"), "");
    expect(missingPackages([{ pkg: "x", bin: join(dir, "pg", "*", "bin", "postgres") }])).toEqual([]);
    expect(missingPackages([{ pkg: "x", bin: join(dir, "pg", "*", "bin", "initdb") }])).toHaveLength(1);
  });

  it("finds the installed majors that have a server binary", () => {
    const root = join(dir, "lib");
    for (const major of ["13", "15", "17"]) mkdirSync(join(root, major, "bin"), { recursive: true });
    mkdirSync(join(root, "extra"), { recursive: true });
    writeFileSync(join(root, "15", "bin", "postgres"), "");
    writeFileSync(join(root, "17", "bin", "postgres"), "");
    expect(installedPostgresMajors(root)).toEqual([15, 17]);
    expect(installedPostgresMajors(join(dir, "nothing"))).toEqual([]);
  });

  it("says in one line what to install when the server or the data's major is missing", () => {
    const empty = join(dir, "empty-lib");
    mkdirSync(empty, { recursive: true });
    const noData = join(dir, "no-data");
    const err = (() => {
      try {
        postgresBinDir(noData, empty);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ReeltimeError);
    expect(err).toMatchObject({ code: "REELTIME_ERR_MISSING_TOOL" });
    expect((err as Error).message).toContain("apt-get install -y postgresql");
    expect((err as Error).message).not.toContain("\n");

    const root = join(dir, "lib-15-17");
    for (const major of ["15", "17"]) {
      mkdirSync(join(root, major, "bin"), { recursive: true });
      writeFileSync(join(root, major, "bin", "postgres"), "");
    }
    const old = join(dir, "old-data");
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, "PG_VERSION"), "13\n");
    expect(() => postgresBinDir(old, root)).toThrow(
      /made by PostgreSQL 13, which is not installed \(installed: 15, 17\)/,
    );
    writeFileSync(join(old, "PG_VERSION"), "15\n");
    expect(postgresBinDir(old, root)).toBe(join(root, "15", "bin"));
    expect(postgresBinDir(noData, root)).toBe(join(root, "17", "bin"));
  });

  it("runs the major that made the data, else the newest", () => {
    expect(choosePostgresMajor([15, 17], undefined)).toBe(17);
    expect(choosePostgresMajor([15, 17], 15)).toBe(15);
    expect(choosePostgresMajor([17], 15)).toBeUndefined();
    expect(choosePostgresMajor([], undefined)).toBeUndefined();
  });
});

describe("local PostgreSQL: command lines and config", () => {
  it("starts on 127.0.0.1 only, TCP only, with reeltime's pg_hba.conf, logging to stderr", () => {
    const args = renderPostgresArgs({ dataDir: "/s/postgres/data", port: 5433, hbaFile: "/s/postgres/pg_hba.conf" });
    expect(args.slice(0, 2)).toEqual(["-D", "/s/postgres/data"]);
    expect(Object.fromEntries(settingsOf(args))).toEqual({
      port: "5433",
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      hba_file: "/s/postgres/pg_hba.conf",
      logging_collector: "off",
      log_destination: "stderr",
    });
  });

  it("lets in only SCRAM password connections from 127.0.0.1", () => {
    const rules = renderPgHba()
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"))
      .map((l) => l.trim().split(/\s+/));
    expect(rules).toEqual([["host", "all", "all", "127.0.0.1/32", "scram-sha-256"]]);
  });

  it("makes the cluster with the reeltime superuser, a password file, SCRAM and UTF-8", () => {
    const args = renderInitdbArgs({ dataDir: "/d", user: "reeltime", passwordFile: "/p" });
    const opt = (name: string) => args[args.indexOf(name) + 1];
    expect([opt("--pgdata"), opt("--username"), opt("--pwfile"), opt("--auth"), opt("--encoding")]).toEqual([
      "/d",
      "reeltime",
      "/p",
      "scram-sha-256",
      "UTF8",
    ]);
    expect(args.join(" ")).not.toContain("trust");
  });

  it("creates the database in single-user mode, which never listens", () => {
    const args = renderSingleUserArgs("/d");
    expect(args[0]).toBe("--single");
    expect(settingsOf(args).get("listen_addresses")).toBe("");
    expect(settingsOf(args).get("unix_socket_directories")).toBe("");
    expect(args.at(-1)).toBe("postgres");
  });

  it("reports the line that says why initdb or CREATE DATABASE failed", () => {
    const initdb = [
      "running bootstrap script ... 2026-12-04 05:23:11.934 UTC [30672] FATAL:  could not write to file " +
        '"pg_wal/xlogtemp.30672": No space left on device',
      "child process exited with exit code 1",
      'initdb: removing data directory "/s/postgres/data.init"',
    ].join("\n");
    expect(failureLine(initdb)).toBe(
      'FATAL:  could not write to file "pg_wal/xlogtemp.30672": No space left on device',
    );
    const single = '2026-12-04 05:15:10.340 UTC [24067] ERROR:  database "reeltime" already exists\nSTATEMENT: x';
    expect(failureLine(single)).toBe('ERROR:  database "reeltime" already exists');
    expect(failureLine("initdb: error: invalid locale name")).toBe("initdb: error: invalid locale name");
    expect(failureLine("a\nlast words\n")).toBe("last words");
  });

  it("reads the version from SHOW server_version", () => {
    expect(parseServerVersion("15.18 (Debian 15.18-0+deb12u1)\n")).toBe("15.18");
    expect(parseServerVersion("17.2\n")).toBe("17.2");
    expect(parseServerVersion("psql: error")).toBeUndefined();
  });

  it("feeds SQL to a program's stdin (how single-user mode gets CREATE DATABASE)", async () => {
    const res = await run("cat", [], { input: "CREATE DATABASE reeltime;\n" });
    expect(res).toEqual({ code: 0, output: "CREATE DATABASE reeltime;\n" });
  });
});

describe("local PostgreSQL: data", () => {
  it("lives under the state folder", () => {
    expect(postgresDir(dir)).toBe(join(dir, "postgres"));
  });

  it("moves to /var/tmp when root runs it and the service user cannot reach the state folder", () => {
    const closed = join(dir, "closed");
    mkdirSync(closed, { mode: 0o700 });
    const state = join(closed, "state");
    if (process.getuid?.() === 0) {
      expect(postgresDir(state)).toMatch(/^\/var\/tmp\/reeltime-pg-[0-9a-f]{12}$/);
      expect(purgePaths(state, ["postgres"])).toEqual([join(state, "postgres"), postgresDir(state)]);
    } else {
      expect(postgresDir(state)).toBe(join(state, "postgres"));
    }
  });

  it("purges only the services named, and everything but logs and pid files otherwise", () => {
    const state = join(dir, "state");
    for (const sub of ["logs", "run", "kafka", "postgres"]) mkdirSync(join(state, sub), { recursive: true });
    expect(purgePaths(state, ["postgres"])).toEqual([join(state, "postgres")]);
    const all = purgePaths(state);
    expect(all).toEqual(expect.arrayContaining([join(state, "kafka"), join(state, "postgres")]));
    expect(all).not.toContain(join(state, "logs"));
    expect(all).not.toContain(join(state, "run"));
  });
});
