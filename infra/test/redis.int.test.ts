import { describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { redis, redisCommand, renderRedisConf } from "../src/local/services/redis.ts";

describe("local Redis (Debian redis-server, started by `reeltime infra up`)", () => {
  it("answers on its own port and reports its version", async () => {
    const health = await redis.probe({} as never);
    expect(health.healthy).toBe(true);
    expect(health.version).toMatch(/^7\./);
    expect(redis.url).toBe(`redis://127.0.0.1:${LOCAL_ENDPOINTS.redis.port}`);
  });

  it("is bound to loopback and persists nothing", async () => {
    const bind = await redisCommand(LOCAL_ENDPOINTS.redis.port, "CONFIG GET bind");
    expect(bind).toContain("127.0.0.1");
    const save = await redisCommand(LOCAL_ENDPOINTS.redis.port, "CONFIG GET save");
    expect(save).toMatch(/save\r\n\$0\r\n\r\n$/);
    const aof = await redisCommand(LOCAL_ENDPOINTS.redis.port, "CONFIG GET appendonly");
    expect(aof).toContain("no");
  });

  it("renders the config it starts with", () => {
    const conf = renderRedisConf({ port: 6380, dir: "/tmp/x" });
    expect(conf).toContain("bind 127.0.0.1\n");
    expect(conf).toContain("port 6380\n");
    expect(conf).toContain('save ""\n');
  });
});
