import koffi from 'koffi';

// glibc's mallopt parameter M_ARENA_MAX (malloc.h).
const M_ARENA_MAX = -8;

/**
 * limitMallocArenas caps glibc malloc at one arena for the whole process, as MALLOC_ARENA_MAX=1 does,
 * but from inside so every way of starting the agent gets it. libvirt calls run on libuv's pool
 * threads, and glibc gives each thread that allocates its own arena (up to 8 per core), whose freed
 * pages stay resident: ≈ 4 MiB of private dirty memory in an idle agent (bench/RESULTS.md, "Agent idle
 * footprint"). The agent is I/O-bound, so sharing one arena costs nothing measurable. Call it before
 * the first asynchronous I/O (threads that already allocated keep their arena). Returns false where
 * there is no glibc (mallopt missing), changing nothing.
 */
export function limitMallocArenas(): boolean {
  try {
    const mallopt = koffi.load('libc.so.6').func('int mallopt(int param, int value)');
    return mallopt(M_ARENA_MAX, 1) === 1;
  } catch {
    return false;
  }
}
