/**
 * closestName finds the known name a misspelt one was probably meant to be: the same name with
 * other case or separators ("data_dir" → "dataDir"), else the nearest within a small edit distance.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const bare = squash(input);
  const same = known.find((k) => squash(k) === bare);
  if (same !== undefined) return same;
  // one edit per four characters, at least two: "rankng" finds "ranking", "zzz" finds nothing
  const limit = Math.max(2, Math.floor(bare.length / 4));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(bare, squash(name));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** editDistance is the Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, substitute));
    }
    prev = row;
  }
  return prev[b.length]!;
}
