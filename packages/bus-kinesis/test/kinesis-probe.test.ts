import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { CheckpointStore } from "@reeltime/ports";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";
import { createKinesisBus } from "../src/kinesis-bus.ts";

// start() and health() check that Kinesis answers with valid credentials. A least-privilege role
// has no kinesis:ListStreams (it takes no resource ARN), so AWS answers AccessDeniedException:
// that answer still proves reachability; bad credentials must not pass.
function busAnswering(error: Error | undefined) {
  const calls: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      if (error) throw error;
      return { StreamNames: [] };
    },
  } as unknown as KinesisClient;
  const checkpoints: CheckpointStore = { list: async () => [], put: async () => true } as unknown as CheckpointStore;
  const env = loadEnv(ConnectionEnv, { REELTIME_BUS: "kinesis", REELTIME_BUS_TIMEOUT_MS: "2000" });
  return { bus: createKinesisBus(env as never, { client, checkpoints }), calls };
}

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe("Kinesis bus start and health", () => {
  it("passes when ListStreams answers", async () => {
    const { bus, calls } = busAnswering(undefined);
    await bus.start();
    expect(calls).toEqual(["ListStreamsCommand"]);
    expect(await bus.health()).toMatchObject({ ok: true, driver: "kinesis" });
    await bus.shutdown();
  });

  it("passes when the role is refused ListStreams (AccessDeniedException), and says so", async () => {
    const { bus } = busAnswering(named("AccessDeniedException", "not authorized to perform: kinesis:ListStreams"));
    await expect(bus.start()).resolves.toBeUndefined();
    const health = await bus.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toContain("ListStreams not granted");
    await bus.shutdown();
  });

  it.each(["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"])(
    "fails on %s (bad credentials)",
    async (name) => {
      const { bus } = busAnswering(named(name));
      await expect(bus.start()).rejects.toThrow();
      expect((await bus.health()).ok).toBe(false);
      await bus.shutdown();
    },
  );
});
