import { Worker } from "node:worker_threads";
import { ReeltimeError } from "@reeltime/runtime";
import { type BatchInput, type Prepared, prepareBatch } from "./prepare.ts";

/**
 * Where POST /v1/events bodies are parsed, validated and encoded (prepare.ts): on the event loop
 * (`workers: 0`), or on worker threads, which leaves the event loop the sockets, the bus client
 * and the answers. Same input, same bytes either way.
 */
export interface Preparer {
  readonly workers: number;
  /** Takes `input.body`: on a worker pool its bytes may be moved to the thread (detached here). */
  prepare(input: BatchInput): Promise<Prepared>;
  close(): Promise<void>;
}

/** Requests waiting for a worker, per worker, before new ones are answered 503 (load shedding). */
export const QUEUE_PER_WORKER = 64;

export function createPreparer(workers: number): Preparer {
  if (workers === 0)
    return {
      workers,
      prepare: (input) => Promise.resolve(prepareBatch(input)),
      close: async () => undefined,
    };
  return new WorkerPreparer(workers);
}

interface Task {
  resolve(p: Prepared): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
}

/**
 * A fixed set of worker threads (prepare-worker.ts), each sent requests over its own port and
 * answering them in order; a request goes to the worker with the fewest in flight. Written on
 * node:worker_threads rather than on a pool library: piscina and tinypool cost 1.5-2.2 µs more
 * CPU per event than this (docs/benchmarks.md), which is most of what the thread saves.
 * A worker that dies fails its requests (the client gets a 500 and retries the batch) and is
 * replaced.
 */
class WorkerPreparer implements Preparer {
  readonly workers: number;
  #slots: Slot[] = [];
  #next = 0;
  #closed = false;

  constructor(workers: number) {
    this.workers = workers;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#start());
  }

  #start(): Slot {
    const worker = new Worker(new URL("./prepare-worker.ts", import.meta.url));
    const slot: Slot = { worker, tasks: new Map() };
    worker.on("message", (m: { id: number; prepared?: Prepared; error?: string }) => {
      const task = slot.tasks.get(m.id);
      if (!task) return;
      slot.tasks.delete(m.id);
      if (m.prepared) task.resolve(m.prepared);
      else task.reject(new Error(m.error ?? "the worker answered nothing"));
    });
    const fail = (err: Error) => {
      for (const task of slot.tasks.values()) task.reject(err);
      slot.tasks.clear();
      if (this.#closed) return;
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots[i] = this.#start();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`an ingest worker thread exited (code ${code})`)));
    return slot;
  }

  prepare(input: BatchInput): Promise<Prepared> {
    if (this.#closed) return Promise.reject(new ReeltimeError("REELTIME_ERR_OVERLOADED", "the ingest API is closing"));
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (s.tasks.size < slot.tasks.size) slot = s;
    if (slot.tasks.size >= QUEUE_PER_WORKER)
      return Promise.reject(
        new ReeltimeError(
          "REELTIME_ERR_OVERLOADED",
          `the ingest API is overloaded (${QUEUE_PER_WORKER} requests wait for each of its ${this.workers} worker threads); retry after a few seconds`,
        ),
      );
    const id = this.#next++;
    // The body's bytes are moved, not copied, when they fill their own ArrayBuffer (Fastify's
    // copy of a body of half Buffer.poolSize or more: 4 kB by default); a smaller one lies in
    // Node's shared pool and is copied first, so the pool is never detached.
    const { body } = input;
    const own =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer
        ? body
        : new Uint8Array(body);
    return new Promise<Prepared>((resolve, reject) => {
      slot.tasks.set(id, { resolve, reject });
      slot.worker.postMessage({ id, input: { ...input, body: own } }, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
