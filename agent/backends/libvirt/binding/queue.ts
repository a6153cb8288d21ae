/**
 * SerialQueue runs async jobs one at a time, in the order they were queued; a job that fails does
 * not stop the ones behind it.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  /** run queues job and settles as it does, once every job queued before it has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#waiting++;
    const result = this.#tail.then(() => {
      this.#waiting--;
      return job();
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** waiting counts jobs queued behind the one running (for tests and diagnostics). */
  get waiting(): number {
    return this.#waiting;
  }
}

/**
 * libvirtQueue is the one queue every libvirt operation of this process runs on, whichever connection
 * it is for. Each C call runs on a libuv pool thread, and libvirt reports a failure through one
 * process-wide error slot (errorSlot.ts), so two calls in flight at once could read each other's
 * error. Running operations one at a time keeps the error with its call, as the worker thread this
 * replaces did, and means libvirt never holds more than one of libuv's pool threads (default 4,
 * shared with fs and dns), even while a call hangs on a stuck libvirtd.
 */
export const libvirtQueue = new SerialQueue();
