import { ReeltimeError } from "@reeltime/runtime";
import { Piscina } from "piscina";
import { type BatchInput, type Prepared, prepareBatch } from "./prepare.ts";

/**
 * Where POST /v1/events bodies are parsed, validated and encoded (prepare.ts): on the event loop
 * (`workers: 0`), or on a pool of worker threads (piscina), which leaves the event loop the
 * sockets, the bus client and the answers. Same input, same bytes either way.
 */
export interface Preparer {
  readonly workers: number;
  prepare(input: BatchInput): Promise<Prepared>;
  close(): Promise<void>;
}

/** Requests waiting for a worker, per worker, before new ones are answered 503 (load shedding). */
const QUEUE_PER_WORKER = 64;

export function createPreparer(workers: number): Preparer {
  if (workers === 0)
    return {
      workers,
      prepare: (input) => Promise.resolve(prepareBatch(input)),
      close: async () => undefined,
    };
  const pool = new Piscina<BatchInput, Prepared>({
    filename: new URL("./prepare-worker.ts", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.POSITIVE_INFINITY,
    maxQueue: workers * QUEUE_PER_WORKER,
  });
  return {
    workers,
    prepare(input) {
      // Checked here rather than left to piscina's own limit (kept as a backstop), so that the
      // refusal is the catalog's error.
      if (pool.queueSize >= workers * QUEUE_PER_WORKER)
        return Promise.reject(
          new ReeltimeError(
            "REELTIME_ERR_OVERLOADED",
            `the ingest API is overloaded (${pool.queueSize} requests wait for a worker); retry after a few seconds`,
          ),
        );
      return pool.run(input);
    },
    close: () => pool.destroy(),
  };
}
