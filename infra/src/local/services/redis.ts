import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import type { LocalService } from "./types.ts";

const PORT = LOCAL_ENDPOINTS.redis.port;
const BINARY = "/usr/bin/redis-server";

/** reeltime's redis.conf: loopback only, its own port, nothing persisted (counters are only worth a minute). */
export function renderRedisConf(opts: { port: number; dir: string }): string {
  return [
    "bind 127.0.0.1",
    `port ${opts.port}`,
    "protected-mode yes",
    "daemonize no",
    "supervised no",
    `dir ${opts.dir}`,
    'save ""',
    "appendonly no",
    "maxmemory 128mb",
    "maxmemory-policy volatile-ttl",
    "loglevel notice",
    'logfile ""',
    "",
  ].join("\n");
}

/**
 * Sends one inline command over RESP and resolves the raw reply (used by the health probe, so
 * infra needs no Redis client).
 */
export function redisCommand(port: number, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from 127.0.0.1:${port} in ${timeoutMs} ms`)));
    socket.once("error", fail);
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      const complete = bulk ? reply.length >= bulk[0].length + Number(bulk[1]) + 2 : reply.endsWith("\r\n");
      if (complete) {
        socket.end();
        resolvePromise(reply);
      }
    });
  });
}

/** Redis from Debian's `redis-server` package (BSD-3), started by hand: shared rate-limit counters. */
export const redis: LocalService = {
  name: "redis",
  ports: [PORT],
  url: LOCAL_ENDPOINTS.redis.url,
  startTimeoutMs: 30_000,
  needsApt: true,

  async install() {
    // Installed with the other Debian packages before this runs.
    return false;
  },

  async prepare(ctx) {
    const data = join(ctx.dir, "data");
    mkdirSync(data, { recursive: true });
    const config = join(ctx.dir, "redis.conf");
    writeFileSync(config, renderRedisConf({ port: PORT, dir: data }));
    return { command: BINARY, args: [config], cwd: ctx.dir, env: { ...process.env } };
  },

  async probe() {
    const pong = await redisCommand(PORT, "PING");
    if (!pong.startsWith("+PONG")) return { healthy: false, detail: pong.trim() };
    const info = await redisCommand(PORT, "INFO server");
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    return { healthy: true, ...(version ? { version } : {}) };
  },
};
