/**
 * Server-sent events for the fake provider servers: a streamed answer is planned by the
 * dialect as a list of events, then written here at the scripted pace, with the scripted
 * mid-stream fault. The framing is the one both official APIs use (`event:` line when the
 * event is named, one `data:` line, a blank line), so the official SDKs' stream parsers read
 * it as they read the real thing.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeStreamFault, FakeStreamOptions } from './script.ts';

/**
 * One event of a planned stream. `role` is what the pace and the faults count:
 * - `chunk`: a piece of the answer (a text delta, a piece of a tool call's arguments);
 * - `frame`: framing around the pieces (a role chunk, a block start or stop, a ping);
 * - `final`: the events that complete the answer (finish reason, usage, the end marker) —
 *   left out by a `cut` fault.
 */
export type FakeSseEvent = { event?: string; data: string; role: 'chunk' | 'frame' | 'final' };

/** Default piece size: small enough that a short scripted answer still arrives in several
 * deltas... */
export const DEFAULT_CHUNK_CHARS = 8;
/** ...but a huge one (a multi-megabyte answer) in at most this many, not a million events. */
export const MAX_DEFAULT_CHUNKS = 256;

/** Text cut into pieces of `size` characters (code points, so no surrogate pair is split;
 * by default `DEFAULT_CHUNK_CHARS`, larger for a very long text); an empty text has no
 * pieces. */
export function pieces(text: string, size: number | undefined): string[] {
  const chars = Array.from(text);
  const step = Math.max(
    1,
    Math.floor(size ?? Math.max(DEFAULT_CHUNK_CHARS, Math.ceil(chars.length / MAX_DEFAULT_CHUNKS))),
  );
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += step) out.push(chars.slice(i, i + step).join(''));
  return out;
}

/**
 * Writes `events` to `res` (headers already sent) at the pace `opts` sets, applying its
 * fault. Stops quietly when `signal` aborts (the client went away, the server is closing).
 * `errorEvent` renders the provider's error event for an `error` fault.
 */
export async function writeSseStream(
  res: ServerResponse,
  events: readonly FakeSseEvent[],
  opts: FakeStreamOptions,
  signal: AbortSignal,
  errorEvent: (fault: Extract<FakeStreamFault, { kind: 'error' }>) => FakeSseEvent,
): Promise<void> {
  const fault = opts.fault;
  let chunks = 0;
  let first = true;
  for (const e of events) {
    if (fault && (e.role === 'final' || (e.role === 'chunk' && chunks >= fault.afterChunks))) {
      await applyFault(res, fault, errorEvent);
      return;
    }
    const wait = first ? opts.firstChunkDelayMs : e.role === 'chunk' && chunks > 0 ? opts.chunkDelayMs : 0;
    if (wait && wait > 0) {
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return;
      }
    }
    if (signal.aborted || res.destroyed) return;
    await write(res, e);
    first = false;
    if (e.role === 'chunk') chunks += 1;
  }
  if (!res.destroyed) res.end();
}

async function applyFault(
  res: ServerResponse,
  fault: FakeStreamFault,
  errorEvent: (fault: Extract<FakeStreamFault, { kind: 'error' }>) => FakeSseEvent,
): Promise<void> {
  switch (fault.kind) {
    case 'error':
      await write(res, errorEvent(fault));
      res.end();
      return;
    case 'reset':
      res.socket?.destroy();
      return;
    case 'cut':
      res.end();
      return;
  }
}

/** Resolves once the event is handed to the socket, so a reset right after it still lets
 * the client see everything written before. */
function write(res: ServerResponse, e: FakeSseEvent): Promise<void> {
  const text = `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`;
  return new Promise((ok) => {
    if (res.destroyed) return ok();
    res.write(text, () => ok());
  });
}
