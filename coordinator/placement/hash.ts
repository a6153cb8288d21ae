/** FNV_PRIME is 32-bit FNV-1a's multiplier (NodeSlots hashes ids with it from typed arrays). */
export const FNV_PRIME = 0x01000193;

/** seededHash is 32-bit FNV-1a of `seed:id`: a replayable per-node tie-break order for one seed. */
export function seededHash(seed: number, id: string): number {
  return seededHashFrom(seededHashPrefix(seed), id);
}

/** seededHashPrefix is the FNV-1a state after `seed:`, so one decision hashes many ids cheaply. */
export function seededHashPrefix(seed: number): number {
  return fnv(0x811c9dc5, `${seed}:`);
}

/** seededHashFrom finishes seededHash(seed, id) from seededHashPrefix(seed). */
export function seededHashFrom(prefix: number, id: string): number {
  return fnv(prefix, id) >>> 0;
}

function fnv(state: number, text: string): number {
  let hash = state;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash;
}
