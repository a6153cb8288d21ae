/** seededHash is 32-bit FNV-1a of `seed:id`: a replayable per-node tie-break order for one seed. */
export function seededHash(seed: number, id: string): number {
  const text = `${seed}:${id}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
