/** What every adapter that holds connections or buffers offers. */
export interface Lifecycle {
  /** Connects and prepares (idempotent). Operations before start() start it implicitly. */
  start(): Promise<void>;
  /** Reachability for /readyz: never throws. */
  health(): Promise<Health>;
  /** Flushes anything buffered, then closes connections. Idempotent. */
  shutdown(): Promise<void>;
}

export interface Health {
  ok: boolean;
  /** The adapter's driver name, e.g. "kafka". */
  driver: string;
  detail?: string;
}
