import { connect } from "node:net";
import { capture } from "./exec.ts";

/** True when something accepts TCP connections on host:port. */
export function isPortInUse(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    const done = (inUse: boolean) => {
      socket.destroy();
      resolvePromise(inUse);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A listener as `ss -ltnp` reports it. */
export interface PortOwner {
  pid: number;
  command: string;
}

/** Parses one line of `ss -Hltnp` into the processes holding the socket. */
export function parseSsOwners(line: string): PortOwner[] {
  const owners: PortOwner[] = [];
  for (const m of line.matchAll(/\("([^"]+)",pid=(\d+),fd=\d+\)/g)) {
    owners.push({ command: m[1]!, pid: Number(m[2]) });
  }
  return owners;
}

/** Which processes listen on a TCP port (best effort, via `ss`); empty when unknown. */
export async function portOwners(port: number): Promise<PortOwner[]> {
  const out = await capture("ss", ["-Hltnp", `sport = :${port}`]);
  if (!out) return [];
  return out.split("\n").flatMap(parseSsOwners);
}

/** "pid 123 (java)" for messages, or "an unknown process". */
export function describeOwners(owners: readonly PortOwner[]): string {
  if (owners.length === 0) return "another process";
  return owners.map((o) => `pid ${o.pid} (${o.command})`).join(", ");
}
