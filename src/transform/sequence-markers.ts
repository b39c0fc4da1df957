/*
 * JSONata marks the arrays it builds with own properties (and, when sequences are bounded, an own
 * `push`). JSON.stringify ignores them but deep equality does not, so a mapped list would not equal
 * the same list typed by hand, and a later `where: { op: "eq" }` would fail. Results are cleaned in
 * place: JSONata never modifies its input, so only arrays it created carry markers.
 */
const MARKERS = ['sequence', 'keepSingleton', 'outerWrapper', 'tupleStream', 'consarray', 'push'] as const;

export function stripSequenceMarkers(value: unknown): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const marker of MARKERS) {
        if (Object.hasOwn(node, marker)) delete (node as unknown as Record<string, unknown>)[marker];
      }
      for (const item of node) pending.push(item);
    } else {
      for (const member of Object.values(node)) pending.push(member);
    }
  }
}
