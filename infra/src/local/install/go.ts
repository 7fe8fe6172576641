import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { INFRA_ERRORS } from "../errors.ts";
import { capture, lastLine, retry, run } from "../exec.ts";
import type { ServiceContext } from "../services/types.ts";

/** Environment for `go` with its module and build caches inside the reeltime cache. */
export function goEnv(cacheDir: string, gobin: string): NodeJS.ProcessEnv {
  const gopath = join(cacheDir, "go");
  return {
    ...process.env,
    GOPATH: gopath,
    GOMODCACHE: join(gopath, "pkg", "mod"),
    GOCACHE: join(gopath, "build-cache"),
    GOBIN: gobin,
    // Writable module cache so `rm -rf` of the cache works; never fetch another toolchain.
    GOFLAGS: "-modcacherw",
    GOTOOLCHAIN: "local",
  };
}

/**
 * `go install <module>@<version>` into `<cacheDir>/<name>/<version>/`, once; later calls find the
 * cached binary. Resolves the binary path and whether it had to build.
 */
export function goInstall(
  ctx: ServiceContext,
  name: string,
  module: string,
  version: string,
): Promise<{ binary: string; built: boolean }> {
  return buildOnce(ctx, name, version, `${module}@${version}`, (out) => ({
    args: ["install", `${module}@${version}`],
    env: goEnv(ctx.settings.cacheDir, out),
  }));
}

/**
 * `go build` of a main package kept in this repository (its go.mod and go.sum pin every module)
 * into `<cacheDir>/<name>/<version>/`, once per `version` (bump it with the sources).
 */
export function goBuild(
  ctx: ServiceContext,
  name: string,
  sourceDir: string,
  version: string,
): Promise<{ binary: string; built: boolean }> {
  return buildOnce(ctx, name, version, `${name} ${version} from ${sourceDir}`, (out) => ({
    args: ["build", "-trimpath", "-buildvcs=false", "-mod=readonly", "-o", join(out, name), "."],
    env: goEnv(ctx.settings.cacheDir, out),
    cwd: sourceDir,
  }));
}

/**
 * `go build` of package `pkg` of a published module, inside the module's own tree in the module
 * cache (`go mod download`), into `<cacheDir>/<name>/<version>/<binary>`, once. For a module whose
 * go.mod has `replace` directives, which `go install module@version` refuses: built as the main
 * module, its go.mod and go.sum pin every dependency exactly as its authors build it.
 */
export function goBuildModule(
  ctx: ServiceContext,
  name: string,
  module: string,
  version: string,
  pkg: string,
  binary: string,
): Promise<{ binary: string; built: boolean }> {
  return buildOnce(
    ctx,
    name,
    version,
    `${module}/${pkg}@${version}`,
    async (out) => {
      const env = goEnv(ctx.settings.cacheDir, out);
      const res = await run("go", ["mod", "download", "-json", `${module}@${version}`], {
        env,
        logFile: ctx.logFile,
        cwd: ctx.settings.cacheDir,
      });
      const dir = /"Dir":\s*"([^"]+)"/.exec(res.output)?.[1];
      if (res.code !== 0 || !dir) {
        throw new ReeltimeError(
          INFRA_ERRORS.build,
          `go mod download of ${module}@${version} failed (${lastLine(res.output)}); check that the Go module ` +
            `proxy is reachable and run \`reeltime infra up\` again (details: ${ctx.logFile})`,
        );
      }
      return {
        args: ["build", "-trimpath", "-buildvcs=false", "-mod=readonly", "-o", join(out, binary), `./${pkg}`],
        env,
        cwd: dir,
      };
    },
    binary,
  );
}

/** Runs one `go` build into a scratch folder and moves the binary into the cache, retried 3 times. */
async function buildOnce(
  ctx: ServiceContext,
  name: string,
  version: string,
  what: string,
  command: (
    out: string,
  ) =>
    | { args: string[]; env: NodeJS.ProcessEnv; cwd?: string }
    | Promise<{ args: string[]; env: NodeJS.ProcessEnv; cwd?: string }>,
  binaryName = name,
): Promise<{ binary: string; built: boolean }> {
  const dir = join(ctx.settings.cacheDir, name, version);
  const binary = join(dir, binaryName);
  if (existsSync(binary)) return { binary, built: false };
  if (!(await capture("sh", ["-c", "command -v go"]))) {
    throw new ReeltimeError(INFRA_ERRORS.missingTool, `no \`go\` on PATH: install Go 1.24+ to build ${name}`);
  }
  const work = `${dir}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  ctx.progress(`building ${what} with go (first run only; several minutes on 2 cores)`);
  const started = Date.now();
  const heartbeat = setInterval(
    () => ctx.progress(`still building (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  try {
    await retry(
      3,
      async () => {
        const { args, env, cwd } = await command(work);
        const res = await run("go", args, { env, logFile: ctx.logFile, ...(cwd ? { cwd } : {}) });
        if (res.code !== 0) {
          throw new ReeltimeError(
            INFRA_ERRORS.build,
            `go ${args[0]} of ${what} failed (${lastLine(res.output)}); check that the Go module proxy is ` +
              `reachable and run \`reeltime infra up\` again (details: ${ctx.logFile})`,
          );
        }
      },
      (n) => ctx.progress(`build attempt ${n} failed, retrying`),
    );
  } finally {
    clearInterval(heartbeat);
  }
  mkdirSync(dir, { recursive: true });
  renameSync(join(work, binaryName), binary);
  rmSync(work, { recursive: true, force: true });
  return { binary, built: true };
}
