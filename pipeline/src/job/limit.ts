/**
 * A small concurrency limiter: at most `size` tasks run at once, the rest wait in FIFO order.
 * One limiter is shared by every ffmpeg process of a pipeline, so two jobs never oversubscribe
 * the cores between them.
 */
export class Limiter {
  readonly size: number;
  #active = 0;
  #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`limiter size must be a positive integer, got ${size}`);
    this.size = size;
  }

  get active(): number {
    return this.#active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}
