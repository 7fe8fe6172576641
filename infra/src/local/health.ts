/** Polls `probe` until it returns a value, `abort` says the process is gone, or time runs out. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = "no answer yet";
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) return { ok: false, reason: aborted };
    try {
      const value = await probe();
      if (value !== undefined) return { ok: true, value };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline)
      return { ok: false, reason: `not healthy after ${opts.timeoutMs / 1000} s (${lastError})` };
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** GETs a URL and parses JSON; throws with the status on anything but 2xx. */
export async function getJson<T>(url: string, timeoutMs = 3000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** GETs a URL and resolves true on 2xx. */
export async function httpOk(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
