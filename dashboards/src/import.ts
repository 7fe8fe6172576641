import { ReeltimeError } from "@reeltime/runtime";
import { renderAll } from "./export.ts";

export interface ImportOptions {
  /** Kibana base URL (with a space: http://kibana:5601/s/video). */
  kibana?: string;
  /** Grafana base URL. */
  grafana?: string;
  /** Credentials: REELTIME_KIBANA_API_KEY or REELTIME_KIBANA_USERNAME/PASSWORD; REELTIME_GRAFANA_TOKEN or REELTIME_GRAFANA_USERNAME/PASSWORD. */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export interface ImportReport {
  kibana?: { imported: number };
  grafana?: { dashboards: string[] };
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

function authHeader(env: NodeJS.ProcessEnv, product: "KIBANA" | "GRAFANA"): Record<string, string> {
  const token = product === "KIBANA" ? env.REELTIME_KIBANA_API_KEY : env.REELTIME_GRAFANA_TOKEN;
  if (token) return { authorization: product === "KIBANA" ? `ApiKey ${token}` : `Bearer ${token}` };
  const user = env[`REELTIME_${product}_USERNAME`];
  const pass = env[`REELTIME_${product}_PASSWORD`];
  return user && pass ? { authorization: basic(user, pass) } : {};
}

const base = (url: string) => url.replace(/\/+$/, "");

async function failure(product: string, what: string, res: Response): Promise<ReeltimeError> {
  const body = (await res.text()).slice(0, 500);
  const hint =
    res.status === 401 || res.status === 403
      ? `; set ${product === "Kibana" ? "REELTIME_KIBANA_API_KEY" : "REELTIME_GRAFANA_TOKEN"} (or the _USERNAME/_PASSWORD pair) to a user that may write dashboards`
      : "";
  return new ReeltimeError(
    "REELTIME_ERR_DASHBOARD_IMPORT",
    `${product} refused ${what}: HTTP ${res.status} ${body}${hint}`,
    { upstreamStatus: res.status, retryable: res.status >= 500 },
  );
}

async function call(doFetch: typeof fetch, product: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    throw new ReeltimeError(
      "REELTIME_ERR_DASHBOARD_IMPORT",
      `cannot reach ${product} at ${url}: ${(err as Error).message}; check the URL and that it is running`,
      { retryable: true },
    );
  }
}

/** POST /api/saved_objects/_import?overwrite=true with the NDJSON as a multipart file (kbn-xsrf set). */
async function importKibana(url: string, ndjson: string, env: NodeJS.ProcessEnv, doFetch: typeof fetch) {
  const form = new FormData();
  form.append("file", new Blob([ndjson], { type: "application/ndjson" }), "reeltime.ndjson");
  const res = await call(doFetch, "Kibana", `${base(url)}/api/saved_objects/_import?overwrite=true`, {
    method: "POST",
    headers: { "kbn-xsrf": "reeltime", ...authHeader(env, "KIBANA") },
    body: form,
  });
  if (!res.ok) throw await failure("Kibana", "the saved objects", res);
  const out = (await res.json()) as { success?: boolean; successCount?: number; errors?: unknown[] };
  if (!out.success)
    throw new ReeltimeError(
      "REELTIME_ERR_DASHBOARD_IMPORT",
      `Kibana imported ${out.successCount ?? 0} objects with errors: ${JSON.stringify(out.errors ?? []).slice(0, 800)}`,
    );
  return { imported: out.successCount ?? 0 };
}

/** Creates the "reeltime" folder when missing, then POST /api/dashboards/db per dashboard (overwrite). */
async function importGrafana(url: string, files: Map<string, string>, env: NodeJS.ProcessEnv, doFetch: typeof fetch) {
  const headers = { "content-type": "application/json", accept: "application/json", ...authHeader(env, "GRAFANA") };
  const folder = await call(doFetch, "Grafana", `${base(url)}/api/folders`, {
    method: "POST",
    headers,
    body: JSON.stringify({ uid: "reeltime", title: "reeltime" }),
  });
  // 409/412: the folder exists already (its uid or its title), which is what we want.
  if (!folder.ok && folder.status !== 409 && folder.status !== 412)
    throw await failure("Grafana", "the folder", folder);
  const dashboards: string[] = [];
  for (const [path, text] of files) {
    if (!path.startsWith("grafana/dashboards/")) continue;
    const dashboard: Record<string, unknown> = { ...(JSON.parse(text) as Record<string, unknown>), id: null };
    const res = await call(doFetch, "Grafana", `${base(url)}/api/dashboards/db`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        dashboard,
        folderUid: "reeltime",
        overwrite: true,
        message: "reeltime dashboards import",
      }),
    });
    if (!res.ok) throw await failure("Grafana", `dashboard ${String(dashboard.uid)}`, res);
    dashboards.push(String(dashboard.uid));
  }
  return { dashboards };
}

/** Pushes the generated dashboards to running servers (what `reeltime dashboards import` does). */
export async function importDashboards(opts: ImportOptions): Promise<ImportReport> {
  if (!opts.kibana && !opts.grafana)
    throw new ReeltimeError("REELTIME_ERR_USAGE", "give --kibana URL, --grafana URL or both");
  const env = opts.env ?? process.env;
  const doFetch = opts.fetch ?? fetch;
  const files = renderAll();
  const report: ImportReport = {};
  if (opts.kibana) report.kibana = await importKibana(opts.kibana, files.get("kibana/reeltime.ndjson")!, env, doFetch);
  if (opts.grafana) report.grafana = await importGrafana(opts.grafana, files, env, doFetch);
  return report;
}
