/**
 * An error and the errors that caused it, outermost first. Temporal wraps what an activity
 * threw (`ActivityFailure` → `ApplicationFailure` → ...) and SDKs wrap network errors, so
 * the fact that matters (a failure `type`, a timeout, a socket code) is often a few links
 * down. Read the links as plain records — `instanceof` does not survive payload conversion.
 *
 * @example
 * const timedOut = causeChain(err).some((e) => e.name === 'TimeoutFailure');
 */
export function causeChain(err: unknown, maxDepth = 8): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  // A cause may point back up the chain; the depth cap also bounds a pathological one.
  for (let e = err; isObject(e) && chain.length < maxDepth && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
