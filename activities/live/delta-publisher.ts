import type { ModelDelta } from '../../core/model.ts';
import type { PublishDeltasInput } from '../../core/run-events.ts';

/** How often a model call publishes its partial answer to the run (one `publishDeltas`
 * signal per batch: each is a history event of the run, so batches, not tokens, cost), and
 * how long a call must have been running before its first batch goes out — a call that
 * answers within it publishes nothing, its answer reaching followers with `model_finished`.
 * A slow provider's first token goes out as soon as it arrives after that. */
export interface DeltaPacing {
  intervalMs: number;
  firstAfterMs: number;
}
export const DEFAULT_DELTA_PACING: DeltaPacing = { intervalMs: 500, firstAfterMs: 150 };

/** How long `close()` waits for a batch in flight (a slow signal never holds up a result). */
const CLOSE_WAIT_MS = 1_000;

type ToolPiece = NonNullable<PublishDeltasInput['toolCalls']>[number];

/**
 * Buffers a model call's deltas and sends them to the run in batches. `send` is one
 * signal; batches go out one at a time, in order, numbered (`seq`) so the workflow applies
 * each once. A failed send is logged by the caller and skipped: deltas only show progress,
 * the answer the run acts on is the call's result. `close()` stops publishing and drops
 * what is buffered (the result, or the next attempt, supersedes it).
 */
export function createDeltaPublisher(opts: {
  call: number;
  attempt: number;
  pacing?: DeltaPacing;
  send: (batch: PublishDeltasInput) => Promise<void>;
  onError?: (err: unknown) => void;
  now?: () => number;
}) {
  const pacing = opts.pacing ?? DEFAULT_DELTA_PACING;
  const now = opts.now ?? Date.now;
  const startedAt = now();
  let text = '';
  let tools = new Map<number, ToolPiece>();
  let seq = 0;
  let lastSentAt: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let sending: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    if (closed || (!text && tools.size === 0)) return;
    const batch: PublishDeltasInput = {
      call: opts.call,
      attempt: opts.attempt,
      seq: ++seq,
      ...(text ? { text } : {}),
      ...(tools.size ? { toolCalls: [...tools.values()] } : {}),
    };
    text = '';
    tools = new Map();
    lastSentAt = now();
    sending = sending.then(() => opts.send(batch).catch((err: unknown) => opts.onError?.(err)));
  };

  const schedule = () => {
    if (timer || closed) return;
    const due = lastSentAt === undefined ? startedAt + pacing.firstAfterMs : lastSentAt + pacing.intervalMs;
    timer = setTimeout(flush, Math.max(0, due - now()));
  };

  return {
    /** Takes one delta (never throws). */
    push(delta: ModelDelta): void {
      if (closed) return;
      if (delta.kind === 'text') text += delta.text;
      else {
        const had = tools.get(delta.index);
        tools.set(delta.index, {
          index: delta.index,
          ...((had?.id ?? delta.id) ? { id: had?.id ?? delta.id } : {}),
          ...((had?.name ?? delta.name) ? { name: had?.name ?? delta.name } : {}),
          args: (had?.args ?? '') + delta.args,
        });
      }
      schedule();
    },
    /** Stops publishing; what is buffered is dropped. Resolves once batches already
     * handed to `send` are done. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([sending, new Promise<void>((r) => (waited = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(waited);
    },
    /** Batches sent so far. */
    sent: () => seq,
  };
}
