import { join } from "node:path";
import { ensureStream } from "../edge/kinesis-sink.ts";
import type { ShipperStats } from "../edge/shipper.ts";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { getJson, waitUntil } from "../health.ts";
import { REPO_ROOT } from "../settings.ts";
import { localKinesisClient } from "./kinesis.ts";
import { edgeAccessLog } from "./nginx.ts";
import type { LocalService } from "./types.ts";

const EDGE = LOCAL_ENDPOINTS.edge;

/** The shipper's command line: Node running shipper-main.ts on the edge's log, the position file and the stream. */
export function shipperArgs(stateDir: string, dir: string): string[] {
  return [
    join(REPO_ROOT, "infra", "src", "local", "edge", "shipper-main.ts"),
    "--file",
    edgeAccessLog(stateDir),
    "--position",
    join(dir, "position.json"),
    "--stream",
    EDGE.realtimeLogStream,
    "--port",
    String(EDGE.shipperPort),
  ];
}

/**
 * Ships the local edge's access log (CloudFront real-time layout) into the Kinesis stream
 * `reeltime.cdn.realtime`, one record a line, as CloudFront's real-time logs arrive, so the same
 * consumer reads both. A Node process of reeltime's own, separate from nginx (which runs as the
 * service user); its position survives restarts, log rotation and truncation. While Kinesis is
 * down it keeps the lines and tries again.
 */
export const edgeShipper: LocalService = {
  name: "edge-shipper",
  ports: [EDGE.shipperPort],
  url: `http://127.0.0.1:${EDGE.shipperPort}/health`,
  startTimeoutMs: 20_000,

  async install() {
    return false;
  },

  async prepare(ctx) {
    return {
      command: process.execPath,
      args: shipperArgs(ctx.settings.stateDir, ctx.dir),
      cwd: ctx.dir,
      env: { ...process.env },
    };
  },

  async probe() {
    const stats = await getJson<ShipperStats & { stream: string }>(`http://127.0.0.1:${EDGE.shipperPort}/health`);
    const detail = stats.lastError
      ? `put into ${stats.stream} failing: ${stats.lastError}`
      : `${stats.shipped} lines shipped to ${stats.stream} since start`;
    return { healthy: true, detail };
  },

  async provision(ctx) {
    // The kinesis service creates the stream too; this covers `up --only nginx,edge-shipper` on a
    // running Kinesis. Kinesis starting at the same time gets a minute; without it lines wait.
    const client = await localKinesisClient();
    try {
      const made = await waitUntil(() => ensureStream(client, EDGE.realtimeLogStream, ctx.settings.kinesisShards), {
        timeoutMs: 60_000,
        intervalMs: 1000,
      });
      if (!made.ok) return `Kinesis not reachable (${made.reason}); the lines wait until it is`;
      return `stream ${EDGE.realtimeLogStream}${made.value ? " (created)" : ""}`;
    } finally {
      client.destroy();
    }
  },
};
