import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Archive } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import { MAX_PARTS } from "./s3.ts";
import type { Completion, StoredPart, UploadTarget } from "./target.ts";

/**
 * Where the parts of open uploads wait in the archive: `upload-parts/<upload>/`, outside
 * `uploads/` (which `pipeline watch` and `pipeline enqueue` take as sources), with a marker
 * `upload.json` while the upload is open and one object per part, `<nnnnn>-<md5 hex>`.
 */
export const PARTS_PREFIX = "upload-parts/";
/** The part route, under the host's /v1 prefix: `PUT /v1/upload-parts/:upload/:part?length&expires&token`. */
export const PARTS_ROUTE = "/upload-parts/:upload/:part";
const MARKER = "upload.json";
const PART_OBJECT = /^(\d{5})-([0-9a-f]{32})$/;
const UPLOAD_ID = /^mp-[0-9a-f]{32}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What an open upload's marker holds. */
interface Marker {
  key: string;
  content_type: string;
  created_at: string;
}

export interface ArchivePartsOptions {
  archive: Archive;
  /** The HMAC key part URLs are signed with (at least 32 bytes); one per deployment, never sent. */
  secret: Uint8Array;
  /** How long a part URL stays valid (REELTIME_UPLOAD_URL_SECONDS). */
  urlSeconds: number;
  /** The upload API's base URL as clients reach it (http://127.0.0.1:8080); read when a URL is made. */
  publicUrl: () => string;
  /** The name recorded as the session's and the events' bucket (default `archive-<driver>`). */
  bucket?: string;
  /** The clock (tests pin it). */
  now?: () => Date;
}

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const unquote = (etag: string) => etag.replaceAll('"', "");
const pad = (n: number) => String(n).padStart(5, "0");

/**
 * The upload target of the embedded default: no S3 server, so the upload API takes the parts
 * itself and keeps them in the archive (the filesystem archive of `reeltime dev`, or any other).
 * The contract is S3's: each part is PUT, with exactly its length, to a URL handed out by the
 * API, whose answer carries the part's ETag (quoted MD5, as S3's); listing the parts resumes;
 * completing with every part's ETag writes the whole object under the session's key.
 *
 * Part URLs are signed with HMAC-SHA256 over the method, the upload's id at this target, the
 * part number, its length and the expiry, so a URL cannot be forged, stretched, moved to another
 * part or another upload, or used after it expired.
 */
export class ArchiveParts implements UploadTarget {
  readonly bucket: string;
  readonly #o: ArchivePartsOptions;
  readonly #now: () => Date;

  constructor(o: ArchivePartsOptions) {
    if (o.secret.byteLength < 32)
      throw new ReeltimeError("REELTIME_ERR_CONFIG", "the part URL signing secret must be at least 32 bytes");
    this.#o = o;
    this.bucket = o.bucket ?? `archive-${o.archive.driver}`;
    this.#now = o.now ?? (() => new Date());
  }

  #marker(uploadId: string) {
    return `${PARTS_PREFIX}${uploadId}/${MARKER}`;
  }

  #sign(uploadId: string, n: number, length: number, expires: number): string {
    return createHmac("sha256", this.#o.secret)
      .update(`PUT\n${uploadId}\n${n}\n${length}\n${expires}`)
      .digest("base64url");
  }

  async create(key: string, contentType: string): Promise<string> {
    const uploadId = `mp-${randomBytes(16).toString("hex")}`;
    const marker: Marker = { key, content_type: contentType, created_at: this.#now().toISOString() };
    await this.#o.archive.put(this.#marker(uploadId), new TextEncoder().encode(JSON.stringify(marker)), {
      contentType: "application/json",
      ifAbsent: true,
    });
    return uploadId;
  }

  async partUrl(_key: string, uploadId: string, n: number, length: number): Promise<string> {
    const expires = Math.floor(this.#now().getTime() / 1000) + this.#o.urlSeconds;
    const q = new URLSearchParams({
      length: String(length),
      expires: String(expires),
      token: this.#sign(uploadId, n, length, expires),
    });
    return `${this.#o.publicUrl().replace(/\/+$/, "")}/v1/upload-parts/${uploadId}/${n}?${q}`;
  }

  /**
   * Checks a part URL as the route received it: the signature first (nothing about the upload
   * is looked at for a forged URL), then the expiry. Returns the part number and the signed
   * length; throws REELTIME_ERR_UPLOAD_URL (403).
   */
  verify(
    uploadId: string,
    part: string,
    query: { length?: string | undefined; expires?: string | undefined; token?: string | undefined },
  ): { n: number; length: number } {
    const n = Number(part);
    const length = Number(query.length);
    const expires = Number(query.expires);
    const token = query.token ?? "";
    const wellFormed =
      UPLOAD_ID.test(uploadId) &&
      /^[1-9][0-9]{0,4}$/.test(part) &&
      n <= MAX_PARTS &&
      /^[1-9][0-9]{0,15}$/.test(query.length ?? "") &&
      /^[1-9][0-9]{0,15}$/.test(query.expires ?? "") &&
      TOKEN.test(token);
    const expected = wellFormed ? Buffer.from(this.#sign(uploadId, n, length, expires)) : undefined;
    if (expected === undefined || !timingSafeEqual(expected, Buffer.from(token)))
      throw new ReeltimeError(
        "REELTIME_ERR_UPLOAD_URL",
        "this part URL is not one the upload API signed (its upload, part, length, expiry or token was changed); " +
          "PUT each part to the URL POST /v1/uploads or GET /v1/uploads/:id answered, unchanged",
      );
    if (expires * 1000 <= this.#now().getTime())
      throw new ReeltimeError(
        "REELTIME_ERR_UPLOAD_URL",
        `this part URL expired at ${new Date(expires * 1000).toISOString()}; GET /v1/uploads/:id answers fresh URLs for the parts still missing`,
      );
    return { n, length };
  }

  /** The open upload's key and type; undefined once it was completed or aborted. */
  async open(uploadId: string): Promise<Marker | undefined> {
    try {
      return JSON.parse(new TextDecoder().decode(await this.#o.archive.get(this.#marker(uploadId)))) as Marker;
    } catch (err) {
      if ((err as ReeltimeError).code === "REELTIME_ERR_NOT_FOUND") return undefined;
      throw err;
    }
  }

  /**
   * Stores part `n` of an open upload from `body`, which must be exactly `length` bytes (read no
   * further than one byte past it): REELTIME_ERR_PART_SIZE otherwise, and nothing is stored.
   * A part sent again replaces the earlier one. Returns its ETag, quoted as S3 quotes it.
   */
  async putPart(uploadId: string, n: number, length: number, body: AsyncIterable<Uint8Array>): Promise<string> {
    const bytes = Buffer.allocUnsafe(length);
    let got = 0;
    for await (const chunk of body) {
      if (got + chunk.byteLength > length)
        throw new ReeltimeError(
          "REELTIME_ERR_PART_SIZE",
          `part ${n} must be exactly ${length} bytes, as its URL was signed for; more were sent`,
        );
      bytes.set(chunk, got);
      got += chunk.byteLength;
    }
    if (got !== length)
      throw new ReeltimeError(
        "REELTIME_ERR_PART_SIZE",
        `part ${n} must be exactly ${length} bytes, as its URL was signed for; ${got} were sent`,
      );
    const etag = md5(bytes);
    const { archive } = this.#o;
    await archive.put(`${PARTS_PREFIX}${uploadId}/${pad(n)}-${etag}`, bytes);
    // An earlier copy of this part (sent again with other bytes) goes.
    const stale = (await archive.list(`${PARTS_PREFIX}${uploadId}/${pad(n)}-`))
      .map((o) => o.key)
      .filter((k) => !k.endsWith(`-${etag}`));
    if (stale.length > 0) await archive.delete(stale);
    return `"${etag}"`;
  }

  async listParts(_key: string, uploadId: string): Promise<StoredPart[] | undefined> {
    if ((await this.open(uploadId)) === undefined) return undefined;
    return (await this.#stored(uploadId)).map(({ key: _key, ...p }) => p);
  }

  async #stored(uploadId: string): Promise<(StoredPart & { key: string })[]> {
    const latest = new Map<number, StoredPart & { key: string; at: number }>();
    for (const o of await this.#o.archive.list(`${PARTS_PREFIX}${uploadId}/`)) {
      const m = PART_OBJECT.exec(o.key.slice(o.key.lastIndexOf("/") + 1));
      if (!m) continue;
      const number = Number(m[1]);
      const seen = latest.get(number);
      if (seen && seen.at >= o.lastModified.getTime()) continue;
      latest.set(number, { number, etag: `"${m[2]}"`, size: o.size, key: o.key, at: o.lastModified.getTime() });
    }
    return [...latest.values()].sort((a, b) => a.number - b.number).map(({ at: _at, ...p }) => p);
  }

  /**
   * Writes the whole object from the parts the client lists (each with the ETag its PUT was
   * answered with), then removes the parts and the marker. The object's ETag is its MD5.
   */
  async complete(key: string, uploadId: string, parts: { number: number; etag: string }[]): Promise<Completion> {
    const marker = await this.open(uploadId);
    if (marker === undefined) return { ok: false, gone: true };
    const stored = new Map((await this.#stored(uploadId)).map((p) => [p.number, p]));
    const chosen: (StoredPart & { key: string })[] = [];
    for (const p of parts) {
      const s = stored.get(p.number);
      if (s === undefined)
        return { ok: false, gone: false, refused: `the upload API holds no part ${p.number} of this upload` };
      if (unquote(s.etag) !== unquote(p.etag))
        return {
          ok: false,
          gone: false,
          refused: `the upload API holds part ${p.number} with ETag ${s.etag}, not ${p.etag.slice(0, 80)}`,
        };
      chosen.push(s);
    }
    const { archive } = this.#o;
    const whole = Buffer.allocUnsafe(chosen.reduce((sum, p) => sum + p.size, 0));
    let at = 0;
    for (const p of chosen) {
      const bytes = await archive.get(p.key);
      whole.set(bytes, at);
      at += bytes.byteLength;
    }
    const body = whole.subarray(0, at);
    await archive.put(key, body, { contentType: marker.content_type });
    await this.abort(key, uploadId);
    return { ok: true, etag: md5(body) };
  }

  async head(key: string): Promise<{ etag: string; size: number } | undefined> {
    if (!(await this.#o.archive.exists(key))) return undefined;
    const bytes = await this.#o.archive.get(key);
    return { etag: md5(bytes), size: bytes.byteLength };
  }

  async sha256(key: string): Promise<{ sha256: string; bytes: number }> {
    const bytes = await this.#o.archive.get(key);
    return { sha256: createHash("sha256").update(bytes).digest("base64"), bytes: bytes.byteLength };
  }

  async delete(key: string): Promise<void> {
    await this.#o.archive.delete([key]);
  }

  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.#o.archive.put(key, body, { contentType });
  }

  /** Removes the upload's parts, then its marker (the upload is no longer open). */
  async abort(_key: string, uploadId: string): Promise<void> {
    const keys = (await this.#o.archive.list(`${PARTS_PREFIX}${uploadId}/`)).map((o) => o.key);
    const marker = this.#marker(uploadId);
    const parts = keys.filter((k) => k !== marker);
    if (parts.length > 0) await this.#o.archive.delete(parts);
    await this.#o.archive.delete([marker]);
  }
}
