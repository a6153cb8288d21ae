/**
 * TenantGate is a per-key async mutex: `run(key, fn)` calls for one key run one at a time, in call
 * order; different keys run concurrently. It serialises a tenant's creates so two concurrent
 * requests cannot both pass the quota check before either records its VM.
 */
export class TenantGate {
  private readonly tails = new Map<string, Promise<void>>();

  /** run waits for earlier runs of key, then runs fn; fn's result or error is passed through. */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(() => fn());
    // The tail never rejects, so one failed run does not poison the queue behind it.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** size is the number of keys with a run queued or in progress (idle keys are dropped). */
  get size(): number {
    return this.tails.size;
  }
}
