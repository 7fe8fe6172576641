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
export async function goInstall(
  ctx: ServiceContext,
  name: string,
  module: string,
  version: string,
): Promise<{ binary: string; built: boolean }> {
  const dir = join(ctx.settings.cacheDir, name, version);
  const binary = join(dir, name);
  if (existsSync(binary)) return { binary, built: false };
  if (!(await capture("sh", ["-c", "command -v go"]))) {
    throw new ReeltimeError(INFRA_ERRORS.missingTool, "no `go` on PATH: install Go 1.24+ to build MinIO");
  }
  const work = `${dir}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  ctx.progress(`building ${module}@${version} with go install (first run only; several minutes on 2 cores)`);
  const started = Date.now();
  const heartbeat = setInterval(
    () => ctx.progress(`still building (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  try {
    await retry(
      3,
      async () => {
        const res = await run("go", ["install", `${module}@${version}`], {
          env: goEnv(ctx.settings.cacheDir, work),
          logFile: ctx.logFile,
        });
        if (res.code !== 0) {
          throw new ReeltimeError(
            INFRA_ERRORS.build,
            `go install ${module}@${version} failed (${lastLine(res.output)}); check that the Go module proxy is ` +
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
  renameSync(join(work, name), binary);
  rmSync(work, { recursive: true, force: true });
  return { binary, built: true };
}
