import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { renderAll } from "../src/export.ts";
import { importDashboards } from "../src/import.ts";
import { DASHBOARDS } from "../src/spec/index.ts";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A stand-in for Kibana and Grafana that records every request and answers like them. */
async function stub(answer: (req: Seen) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const s = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    seen.push(s);
    const a = answer(s);
    res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const okAnswer = (s: Seen) =>
  s.url.includes("/api/saved_objects/_import")
    ? { status: 200, body: { success: true, successCount: 42, errors: [] } }
    : s.url === "/api/folders"
      ? { status: 412, body: { message: "a folder with the same name already exists" } }
      : { status: 200, body: { status: "success", uid: "x", version: 1 } };

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("reeltime dashboards import", () => {
  it("posts the NDJSON to Kibana's import API and each dashboard to Grafana, with tokens from env", async () => {
    const s = await stub(okAnswer);
    close = s.close;
    const r = await importDashboards({
      kibana: `${s.url}/s/video/`,
      grafana: s.url,
      env: { REELTIME_KIBANA_API_KEY: "a2liYW5hOmtleQ==", REELTIME_GRAFANA_TOKEN: "glsa_token" },
    });
    expect(r).toEqual({ kibana: { imported: 42 }, grafana: { dashboards: DASHBOARDS.map((d) => d.uid) } });

    const [kibana, folder, ...dashboards] = s.seen;
    expect(kibana!.method).toBe("POST");
    expect(kibana!.url).toBe("/s/video/api/saved_objects/_import?overwrite=true");
    expect(kibana!.headers["kbn-xsrf"]).toBe("reeltime");
    expect(kibana!.headers.authorization).toBe("ApiKey a2liYW5hOmtleQ==");
    const boundary = /boundary=(.+)$/.exec(String(kibana!.headers["content-type"]))![1]!;
    expect(String(kibana!.headers["content-type"])).toMatch(/^multipart\/form-data; boundary=/);
    const part = kibana!.body.split(`--${boundary}`)[1]!;
    expect(part).toContain('Content-Disposition: form-data; name="file"; filename="reeltime.ndjson"');
    expect(part.split("\r\n\r\n").slice(1).join("\r\n\r\n").replace(/\r\n$/, "")).toBe(
      renderAll().get("kibana/reeltime.ndjson"),
    );

    expect(folder).toMatchObject({ method: "POST", url: "/api/folders" });
    expect(JSON.parse(folder!.body)).toEqual({ uid: "reeltime", title: "reeltime" });
    expect(dashboards).toHaveLength(DASHBOARDS.length);
    for (const [i, d] of dashboards.entries()) {
      expect(d.method).toBe("POST");
      expect(d.url).toBe("/api/dashboards/db");
      expect(d.headers.authorization).toBe("Bearer glsa_token");
      expect(d.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(d.body) as { dashboard: Record<string, unknown>; folderUid: string; overwrite: boolean };
      const generated = JSON.parse(renderAll().get(`grafana/dashboards/${DASHBOARDS[i]!.uid}.json`)!);
      expect(body).toMatchObject({ folderUid: "reeltime", overwrite: true });
      expect(body.dashboard).toEqual({ ...generated, id: null });
    }
  });

  it("uses basic auth when only a user and password are set", async () => {
    const s = await stub(okAnswer);
    close = s.close;
    await importDashboards({
      grafana: s.url,
      env: { REELTIME_GRAFANA_USERNAME: "admin", REELTIME_GRAFANA_PASSWORD: "pw" },
    });
    expect(s.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });

  it("a refusal is an error naming the product, the status and what to set", async () => {
    const s = await stub(() => ({ status: 401, body: { message: "Unauthorized" } }));
    close = s.close;
    await expect(importDashboards({ kibana: s.url, env: {} })).rejects.toMatchObject({
      code: "REELTIME_ERR_DASHBOARD_IMPORT",
      status: 401,
      message: expect.stringMatching(/Kibana refused the saved objects: HTTP 401.*REELTIME_KIBANA_API_KEY/),
    });
  });

  it("Kibana's per-object errors fail the import", async () => {
    const s = await stub(() => ({
      status: 200,
      body: { success: false, successCount: 3, errors: [{ id: "x", error: { type: "conflict" } }] },
    }));
    close = s.close;
    await expect(importDashboards({ kibana: s.url, env: {} })).rejects.toThrow(
      /imported 3 objects with errors.*conflict/,
    );
  });

  it("an unreachable server is a retryable error", async () => {
    await expect(importDashboards({ grafana: "http://127.0.0.1:1", env: {} })).rejects.toMatchObject({
      code: "REELTIME_ERR_DASHBOARD_IMPORT",
      retryable: true,
    });
  });

  it("the CLI command pushes both (exit 0) and prints what it did", { timeout: 60_000 }, async () => {
    const s = await stub(okAnswer);
    close = s.close;
    // Asynchronous: the stub answers from this process while the command runs.
    const res = await promisify(execFile)("reeltime", ["dashboards", "import", "--kibana", s.url, "--grafana", s.url], {
      encoding: "utf8",
      env: { ...process.env, REELTIME_KIBANA_API_KEY: "k", REELTIME_GRAFANA_TOKEN: "t" },
    });
    expect(String(res.stdout)).toContain("kibana: 42 saved objects imported");
    expect(String(res.stdout)).toContain(
      "grafana: dashboards reeltime-qoe, reeltime-pipeline, reeltime-health, reeltime-live saved",
    );
  });
});
