/** Small statistics for the bench. */

export const diffs = (stamps: number[]): number[] => stamps.slice(1).map((t, i) => t - stamps[i]!);

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: number[]) => percentile(values, 0.5);
export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
export const round = (n: number, digits = 2) =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null;
export const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 3) : null;
export const formatMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
export const formatBytes = (b: number) =>
  !Number.isFinite(b)
    ? '-'
    : b < 10_000
      ? `${Math.round(b)} B`
      : b < 10_000_000
        ? `${(b / 1024).toFixed(0)} KB`
        : `${(b / 1024 / 1024).toFixed(1)} MB`;

/**
 * The order of `n` variants in round `round`, from a balanced Latin square (Williams design):
 * over every `n` rounds (`2n` when `n` is odd) each variant runs in each position equally
 * often and directly after each other variant equally often. Rotating one order (A B C, B C
 * A, ...) balances positions but not neighbours: every variant would then always run right
 * after the same one, and carry the cost that one leaves behind (a 20 MB history the dev
 * server and that worker are still collecting, garbage in the process serving the fake model).
 */
export function balancedOrder(round: number, n: number): number[] {
  if (n <= 1) return n === 1 ? [0] : [];
  // First row 0, 1, n-1, 2, n-2, ...; row r adds r (mod n).
  const first: number[] = [0];
  for (let k = 1; first.length < n; k++) {
    first.push(k);
    if (first.length < n) first.push(n - k);
  }
  const rows = n % 2 === 0 ? n : 2 * n;
  const r = ((round % rows) + rows) % rows;
  // For odd n the second n rows are the first n reversed.
  return r < n ? first.map((x) => (x + r) % n) : first.map((x) => (x + r - n) % n).reverse();
}
