import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { processStartTicks } from "./process.ts";

/**
 * Runs `fn` while holding `<stateDir>/run/infra.lock`, so two `reeltime infra up`/`down` in the
 * same checkout never start or stop the same service twice. A lock whose holder died is taken over.
 */
export async function withInfraLock<T>(
  stateDir: string,
  onWait: (holderPid: number) => void,
  fn: () => Promise<T>,
  timeoutMs = 30 * 60_000,
): Promise<T> {
  const dir = join(stateDir, "run");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "infra.lock");
  const me = `${process.pid} ${processStartTicks(process.pid) ?? 0}\n`;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, me);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder = "";
      try {
        holder = readFileSync(path, "utf8");
      } catch {
        continue;
      }
      const [pid, ticks] = holder.trim().split(" ").map(Number);
      if (!pid || processStartTicks(pid) !== ticks) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another reeltime infra command (pid ${pid}) holds ${path}`);
      if (!told) onWait(pid);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
