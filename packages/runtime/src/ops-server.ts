import { createServer, type Server } from "node:http";
import { ERRORS } from "./error-codes.ts";
import { listenError } from "./errors.ts";
import type { Registry } from "./metrics.ts";

/** What a readiness check answers: ready or not, with details for the body. */
export interface Readiness {
  ok: boolean;
  [detail: string]: unknown;
}

export interface OpsServerOptions {
  registry: Registry;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The option or variable that sets the port, named in a port-taken error. */
  setting: string;
  /** /readyz: 200 when it answers ok, else 503 (without it /readyz answers like /healthz). */
  ready?: () => Promise<Readiness>;
}

export interface OpsServer {
  /** The bound port (useful with port 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * The operations endpoints of a background service (stream processors, pipeline workers):
 * GET /healthz (the process is up), /readyz and /metrics (Prometheus text) on their own port.
 */
export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    try {
      if (path === "/metrics") {
        res.setHeader("content-type", o.registry.contentType);
        res.end(await o.registry.metrics());
      } else if (path === "/healthz") {
        res.setHeader("content-type", "application/json");
        res.end('{"status":"ok"}');
      } else if (path === "/readyz") {
        const r = o.ready ? await o.ready() : { ok: true };
        res.statusCode = r.ok ? 200 : 503;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ ...r, status: r.ok ? "ready" : "not ready" }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    } catch (err) {
      res.statusCode = ERRORS.REELTIME_ERR_INTERNAL.status;
      res.end(JSON.stringify({ error: { code: "REELTIME_ERR_INTERNAL", message: (err as Error).message } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(listenError(err, { host: o.host, port: o.port, setting: o.setting })));
    server.listen(o.port, o.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a scraper's keep-alive connection must not hold shutdown
      }),
  };
}
