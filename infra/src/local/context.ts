import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { LocalService, ServiceContext } from "./services/types.ts";
import type { InfraSettings } from "./settings.ts";

/** Shortens a path for messages: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** The folders and progress printer of one service. */
export function serviceContext(
  service: LocalService,
  settings: InfraSettings,
  print: (line: string) => void,
): ServiceContext {
  const dir = join(settings.stateDir, service.name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(settings.logDir, { recursive: true });
  return {
    settings,
    dir,
    logFile: join(settings.logDir, `${service.name}.log`),
    progress: (message) => print(`  ${service.name.padEnd(16)}${message}`),
  };
}
