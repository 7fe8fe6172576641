/** A string key/value store (localStorage, sessionStorage or an in-memory twin). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /** Enumeration (as `Storage` has it): lets a tab find the queues closed tabs left behind. */
  key?(index: number): string | null;
  readonly length?: number;
}

/** The part of the Web Locks API (`navigator.locks`) the offline queue uses. */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** Everything the SDK needs from its host, injected so tests run without a browser. */
export interface Platform {
  /** Monotonic milliseconds, for durations. */
  now(): number;
  /** Epoch milliseconds, for `client_ts` and event ids. */
  wallNow(): number;
  fetch?: typeof fetch;
  sendBeacon?: (url: string, body: string) => boolean;
  localStorage?: KeyValueStore;
  sessionStorage?: KeyValueStore;
  pageUrl(): string;
  referrer(): string;
  /** Subscribes to page hide (unload/bfcache); returns an unsubscribe function. */
  onPageHide(cb: () => void): () => void;
  /** Subscribes to the page becoming hidden (tab switch, minimise). */
  onHidden(cb: () => void): () => void;
  onOnline(cb: () => void): () => void;
  /** False when the browser knows it is offline (`navigator.onLine`); beacons then wait in the queue. */
  online?(): boolean;
  /** Web Locks, shared by the tabs of one origin. */
  locks?: LockManagerLike;
  randomBytes(n: number): Uint8Array;
  pixelRatio(): number;
  document?: Document;
}

function safeStorage(get: () => Storage): KeyValueStore | undefined {
  try {
    const s = get();
    const probe = "reeltime.probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
    return s;
  } catch {
    return undefined;
  }
}

function listen(target: EventTarget, type: string, cb: (e: Event) => void): () => void {
  target.addEventListener(type, cb);
  return () => target.removeEventListener(type, cb);
}

/** The platform of a real page, from its globals. */
export function browserPlatform(): Platform {
  const nav = typeof navigator === "object" ? navigator : undefined;
  const doc = typeof document === "object" ? document : undefined;
  const local = safeStorage(() => localStorage);
  const session = safeStorage(() => sessionStorage);
  return {
    now: () => performance.now(),
    wallNow: () => Date.now(),
    ...(typeof fetch === "function" ? { fetch: (input, init) => fetch(input, init) } : {}),
    ...(nav?.sendBeacon ? { sendBeacon: (url: string, body: string) => nav.sendBeacon(url, body) } : {}),
    ...(local ? { localStorage: local } : {}),
    ...(session ? { sessionStorage: session } : {}),
    pageUrl: () => location.href,
    referrer: () => doc?.referrer ?? "",
    onPageHide: (cb) => listen(window, "pagehide", cb),
    onHidden: (cb) =>
      doc ? listen(doc, "visibilitychange", () => doc.visibilityState === "hidden" && cb()) : () => {},
    onOnline: (cb) => listen(window, "online", cb),
    online: () => nav?.onLine !== false,
    ...(nav?.locks ? { locks: nav.locks as LockManagerLike } : {}),
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    pixelRatio: () => window.devicePixelRatio || 1,
    ...(doc ? { document: doc } : {}),
  };
}
