/**
 * liveView returns an object of type T each of whose properties is read from `now()` at the moment
 * it is read. A test-file helper returns one at collection time for a value its hooks make later
 * (per test or per file), so tests write `env.x` instead of re-declaring `let env` and its hooks.
 * `now` should throw a clear error while no value exists (outside a test).
 */
export function liveView<T extends object>(now: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(now(), key),
    has: (_target, key) => Reflect.has(now(), key),
  });
}
