/** How reeltime's local PostgreSQL is created and started; pure, so the unit tier checks it. */

/** initdb's arguments: the cluster's bootstrap superuser is `user`, SCRAM passwords everywhere, UTF-8, C.UTF-8 locale. */
export function renderInitdbArgs(opts: { dataDir: string; user: string; passwordFile: string }): string[] {
  return [
    "--pgdata",
    opts.dataDir,
    "--username",
    opts.user,
    "--pwfile",
    opts.passwordFile,
    "--auth",
    "scram-sha-256",
    "--encoding",
    "UTF8",
    "--locale",
    "C.UTF-8",
    "--no-instructions",
  ];
}

/**
 * The server's command line: TCP on 127.0.0.1 only, no Unix socket (Debian's
 * /var/run/postgresql belongs to the postgres user, and nothing here needs one), reeltime's
 * pg_hba.conf, logs to stderr (the service log). The settings are given as `-c` so the data
 * folder keeps initdb's postgresql.conf untouched.
 */
export function renderPostgresArgs(opts: { dataDir: string; port: number; hbaFile: string }): string[] {
  const settings: [string, string][] = [
    ["port", String(opts.port)],
    ["listen_addresses", "127.0.0.1"],
    ["unix_socket_directories", ""],
    ["hba_file", opts.hbaFile],
    ["logging_collector", "off"],
    ["log_destination", "stderr"],
  ];
  return ["-D", opts.dataDir, ...settings.flatMap(([k, v]) => ["-c", `${k}=${v}`])];
}

/** The single-user-mode arguments that run SQL on a fresh cluster before it ever listens. */
export function renderSingleUserArgs(dataDir: string): string[] {
  return ["--single", "-D", dataDir, "-c", "listen_addresses=", "-c", "unix_socket_directories=", "postgres"];
}

/** pg_hba.conf: TCP from 127.0.0.1 with a SCRAM password, nothing else (no trust, no peer, no replication). */
export function renderPgHba(): string {
  return [
    "# reeltime infra: only password (SCRAM) connections over TCP from 127.0.0.1",
    "# TYPE  DATABASE  USER  ADDRESS       METHOD",
    "host    all       all   127.0.0.1/32  scram-sha-256",
    "",
  ].join("\n");
}

/**
 * Which PostgreSQL major to run: the one that made the data folder (PG_VERSION) when there is
 * data, else the newest installed. Undefined when none fits.
 */
export function choosePostgresMajor(installed: readonly number[], dataMajor: number | undefined): number | undefined {
  if (dataMajor !== undefined) return installed.includes(dataMajor) ? dataMajor : undefined;
  return installed.length > 0 ? Math.max(...installed) : undefined;
}

/** The version in `SHOW server_version` output ("15.18 (Debian 15.18-0+deb12u1)" → "15.18"). */
export function parseServerVersion(output: string): string | undefined {
  return /^\s*(\d+(?:\.\d+)*)/.exec(output)?.[1];
}
