import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import type { Ptr } from './symbols.js';

// libvirt keeps its last error per thread, and a call made with koffi's `.async` runs on a libuv pool
// thread, so virGetLastError on the JS thread afterwards would read the wrong thread's error. Instead,
// the process-wide error handler (virSetErrorFunc) is libvirt's own virCopyLastError with a virError
// we allocate as its user data: libvirt runs `handler(userData, err)` on the failing thread, which is
// `virCopyLastError(slot)` (the extra `err` argument is ignored, as the C calling convention of every
// platform koffi supports allows), a deep copy of that thread's error into the slot before the call
// returns. Because calls run one at a time (queue.ts), the slot holds the error of the call that just
// failed. Installing any handler also stops libvirt printing every error on stderr.
//
// Why not a JS callback (koffi.register): koffi relays a callback from a pool thread to the JS thread
// and blocks until it ran; once process.exit() has begun the JS thread never runs it, so a call that
// fails while the process exits hangs the exit for ever (measured: a failing virConnectOpen in flight
// at process.exit() hung until killed; with the native handler the exit waited only for the call).

let slot: Ptr | undefined;

/**
 * installErrorSlot allocates the slot and makes it libvirt's error handler target, once per process;
 * the slot lives as long as the process (libvirt keeps the pointer, so it is never freed).
 */
export function installErrorSlot(lib: LibraryHandle, virError: TypeObject): Ptr {
  if (slot !== undefined) return slot;
  const ptr = koffi.alloc(virError, 1) as Ptr;
  koffi.encode(ptr, koffi.array('uint8_t', virError.size), new Uint8Array(virError.size));
  const setErrorFunc = lib.func('void virSetErrorFunc(void *userData, void *handler)');
  setErrorFunc(ptr, lib.symbol('virCopyLastError'));
  slot = ptr;
  return ptr;
}
