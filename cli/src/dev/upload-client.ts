/** Where an upload in progress is remembered, so a page reloaded mid-upload resumes it. */
export interface UploadMemory {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface UploadVideoOptions {
  /** The upload API's base URL ("" or location.origin on the demo page). */
  endpoint: string;
  writeKey: string;
  file: Blob & { name: string; lastModified?: number };
  title?: string;
  /** Hears the bytes stored so far after each part. */
  onProgress?: (storedBytes: number, totalBytes: number) => void;
  /** sessionStorage on the page: an upload of the same file left unfinished is resumed. */
  memory?: UploadMemory;
}

export interface UploadedVideo {
  upload_id: string;
  video_id: string;
  state: string;
  version?: string;
}

/**
 * The upload API's client contract, the same whether part URLs point at S3 (presigned) or at the
 * upload API itself (the embedded default): announce the file (size, type, whole-file SHA-256),
 * PUT each part to the URL given with exactly its bytes and keep the answer's ETag, then complete
 * with every part's ETag. An unfinished upload of the same file is resumed from GET
 * /v1/uploads/:id (the parts stored, fresh URLs for the rest); a part is retried twice on a
 * network error or a 5xx, and an expired URL is replaced by a fresh one.
 *
 * Plain JavaScript inside (no imports, no closures over this module): the demo page embeds this
 * function's source.
 */
export async function uploadVideo(o: UploadVideoOptions): Promise<UploadedVideo> {
  const TYPES: Record<string, string> = {
    mp4: "video/mp4",
    m4v: "video/mp4",
    mov: "video/quicktime",
    webm: "video/webm",
    mkv: "video/x-matroska",
  };
  type Part = { number: number; url: string };
  type Status = UploadedVideo & {
    part_bytes: number;
    parts: Part[];
    parts_stored?: { number: number; etag: string }[];
  };
  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(o.endpoint + path, {
      method: init.method ?? "GET",
      headers: {
        "x-reeltime-key": o.writeKey,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok)
      throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status} on ${path}`);
    return body as T;
  };
  if (!globalThis.crypto?.subtle)
    throw new Error("this page cannot hash the file here: open it on http://127.0.0.1 or localhost, or over https");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await o.file.arrayBuffer()));
  let binary = "";
  for (const b of digest) binary += String.fromCharCode(b);
  const sha256 = btoa(binary);
  const ext = /\.([A-Za-z0-9]+)$/.exec(o.file.name)?.[1]?.toLowerCase() ?? "";
  const contentType = o.file.type || TYPES[ext] || "application/octet-stream";
  const total = o.file.size;
  const remembered = `reeltime-upload:${o.file.name}:${total}:${o.file.lastModified ?? 0}:${sha256}`;

  let up: Status | undefined;
  const etags = new Map<number, string>();
  const earlier = o.memory?.getItem(remembered);
  if (earlier) {
    try {
      const status = await api<Status>(`/v1/uploads/${encodeURIComponent(earlier)}`);
      if (status.state === "completed") {
        o.memory?.removeItem(remembered);
        return status;
      }
      if (status.state === "created") {
        up = status;
        for (const p of status.parts_stored ?? []) etags.set(p.number, p.etag);
      }
    } catch {
      // an upload this app no longer has: start again
    }
  }
  if (!up) {
    up = await api<Status>("/v1/uploads", {
      method: "POST",
      body: {
        filename: o.file.name.slice(0, 255),
        content_type: contentType,
        bytes: total,
        sha256,
        ...(o.title ? { title: o.title.slice(0, 256) } : {}),
      },
    });
    o.memory?.setItem(remembered, up!.upload_id);
  }
  const current = up!;
  const partBytes = current.part_bytes;
  const sizeOf = (n: number) => Math.min(partBytes, total - (n - 1) * partBytes);
  let stored = 0;
  for (const n of etags.keys()) stored += sizeOf(n);
  o.onProgress?.(stored, total);

  let queue: Part[] = current.parts.filter((p) => !etags.has(p.number));
  let refreshed = false;
  while (queue.length > 0) {
    const part = queue[0]!;
    const body = o.file.slice((part.number - 1) * partBytes, (part.number - 1) * partBytes + sizeOf(part.number));
    let res: Response | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        res = await fetch(part.url, { method: "PUT", body });
        if (res.status < 500) break;
      } catch (err) {
        if (attempt === 3) throw err;
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    if (res === undefined) throw new Error(`part ${part.number} could not be sent`);
    if (res.status === 403 && !refreshed) {
      // An expired URL: the status answers fresh ones for the parts still missing.
      refreshed = true;
      const status = await api<Status>(`/v1/uploads/${current.upload_id}`);
      queue = status.parts;
      continue;
    }
    if (!res.ok) {
      const err = (await res.json().catch(() => undefined)) as
        | { error?: { code: string; message: string } }
        | undefined;
      throw new Error(
        err?.error
          ? `part ${part.number}: ${err.error.code}: ${err.error.message}`
          : `part ${part.number}: HTTP ${res.status}`,
      );
    }
    const etag = res.headers.get("etag");
    if (!etag) throw new Error(`part ${part.number}: the answer has no ETag (does the bucket's CORS expose it?)`);
    etags.set(part.number, etag);
    stored += sizeOf(part.number);
    o.onProgress?.(stored, total);
    queue = queue.slice(1);
    refreshed = false;
  }
  const parts = [...etags.entries()].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
  const done = await api<UploadedVideo>(`/v1/uploads/${current.upload_id}/complete`, {
    method: "POST",
    body: { parts },
  });
  o.memory?.removeItem(remembered);
  return done;
}
