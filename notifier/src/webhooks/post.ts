import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkTargetUrl, guardedLookup, type Resolver } from "./targets.ts";

/** What one POST to an endpoint came to: the HTTP status (0 when no answer) and the address used. */
export interface PostResult {
  status: number;
  /** The peer's address (log it truncated only). */
  remote?: string | undefined;
  /** Why there was no answer: a socket error code or `timeout`; REELTIME_ERR_WEBHOOK_TARGET when the guard refused. */
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

/**
 * POSTs a signed body to an endpoint. The URL is checked again (the guard may be on now), the
 * name is resolved once and every address checked (guardedLookup), and the socket connects to a
 * checked address over a fresh connection (no agent: each delivery looks up again). Redirects
 * are not followed (a 3xx is a failed attempt); the answer's body is read up to 64 KiB and
 * dropped. Never throws.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { guard: boolean; timeoutMs: number; resolver?: Resolver | undefined },
): Promise<PostResult> {
  let target: URL;
  try {
    target = checkTargetUrl(url, { guard: opts.guard });
  } catch (err) {
    return Promise.resolve({
      status: 0,
      errorCode: "REELTIME_ERR_WEBHOOK_TARGET",
      errorMessage: (err as Error).message,
    });
  }
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: PostResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve(r);
    };
    const req = send(
      target,
      {
        method: "POST",
        agent: false,
        lookup: guardedLookup({ guard: opts.guard, ...(opts.resolver ? { resolver: opts.resolver } : {}) }),
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "reeltime-webhooks/1",
        },
      },
      (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const remote = res.socket?.remoteAddress;
        res.on("end", () => finish({ status, remote }));
        res.on("close", () => finish({ status, remote }));
        res.on("error", () => finish({ status, remote }));
      },
    );
    // One deadline for the whole exchange: a receiver that drips its answer does not hold a worker.
    const deadline = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "timeout" }));
    }, opts.timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) =>
      finish({
        status: 0,
        errorCode: err.code ?? "error",
        errorMessage: err.message.slice(0, 500),
      }),
    );
    req.end(body);
  });
}
