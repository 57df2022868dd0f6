import { log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  clip,
  EVENTS_PAGE_MAX,
  publishDeltasInputSchema,
  type EventsPage,
  type EventsQueryInput,
  type RunEvent,
  type RunEventBody,
} from '../core/run-events.ts';
import { eventsQuery, publishDeltasSignal } from './definitions.ts';

/** Events the log holds at most, and characters of text across them: older events are
 * dropped (a reader asking for them is told by `EventsPage.first`; the trace keeps all). */
export const EVENT_LOG_MAX = 2_000;
export const EVENT_LOG_MAX_CHARS = 1_000_000;

/** Where a run's event log stands, carried across continue-as-new so offsets and model
 * call numbers keep counting. */
export interface EventLogMark {
  next: number;
  calls: number;
}

/** The model call being made, whose deltas the log accepts. */
interface OpenCall {
  call: number;
  step: number;
  /** Highest activity attempt seen: deltas of older attempts are superseded. */
  attempt: number;
  /** Last batch applied per attempt, so a resent batch is a no-op. */
  seqs: Map<number, number>;
}

/**
 * The run's live event log (see `core/run-events.ts`): the workflow's own events are
 * appended as the loop runs — deterministic state, rebuilt on replay at no history cost —
 * and the `callModel` activity's partial answers arrive by the `publishDeltas` signal. The
 * `events` query pages through it. Bounded: `EVENT_LOG_MAX` events and
 * `EVENT_LOG_MAX_CHARS` characters of text.
 */
export function createRunEvents(opts: { mark?: EventLogMark; step: () => number }) {
  const events: RunEvent[] = [];
  let next = opts.mark?.next ?? 0;
  let first = next;
  let calls = opts.mark?.calls ?? 0;
  let chars = 0;
  let ended = false;
  let open: OpenCall | undefined;
  const previousRunId = workflowInfo().continuedFromExecutionRunId;

  const append = (body: RunEventBody, step = opts.step()) => {
    const event = { ...body, offset: next++, at: Date.now(), step } as RunEvent;
    events.push(event);
    chars += sizeOf(event);
    while (events.length > EVENT_LOG_MAX || (chars > EVENT_LOG_MAX_CHARS && events.length > 1)) {
      chars -= sizeOf(events.shift()!);
      first = events[0]!.offset;
    }
  };

  setHandler(publishDeltasSignal, (raw) => {
    const parsed = publishDeltasInputSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn('publishDeltas ignored: malformed', { issues: parsed.error.issues.length });
      return;
    }
    const d = parsed.data;
    // Late batches of a call that has ended, or of an attempt a retry superseded, are dropped.
    if (!open || d.call !== open.call || d.attempt < open.attempt) return;
    if ((open.seqs.get(d.attempt) ?? 0) >= d.seq) return;
    open.seqs.set(d.attempt, d.seq);
    open.attempt = d.attempt;
    append(
      {
        type: 'model_delta',
        call: d.call,
        attempt: d.attempt,
        ...(d.text ? { text: d.text } : {}),
        ...(d.toolCalls?.length ? { toolCalls: d.toolCalls } : {}),
      },
      open.step,
    );
  });

  setHandler(eventsQuery, (q: EventsQueryInput = {}): EventsPage => {
    const from = Math.max(q.from ?? 0, first);
    const max = Math.min(Math.max(q.max ?? EVENTS_PAGE_MAX, 1), EVENTS_PAGE_MAX);
    const start = from - first;
    const page = events.slice(start, start + max);
    const after = page.length ? page.at(-1)!.offset + 1 : Math.min(from, next);
    return {
      events: page,
      first,
      next: after,
      ended: ended && after >= next,
      ...(previousRunId ? { previousRunId } : {}),
    };
  });

  return {
    publish: (body: RunEventBody) => append(body),
    /** A model call starts: its number in the run (what its deltas are stamped with). */
    modelStarted(model: string, purpose: string): number {
      open = { call: ++calls, step: opts.step(), attempt: 1, seqs: new Map() };
      append({ type: 'model_started', call: open.call, model, purpose });
      return open.call;
    },
    modelFinished(body: Omit<Extract<RunEventBody, { type: 'model_finished' }>, 'type' | 'call'>) {
      if (!open) return;
      const { call } = open;
      open = undefined;
      const text = body.text ? clip(body.text) : undefined;
      append({
        type: 'model_finished',
        call,
        ...body,
        ...(text ? { text: text.text, ...(text.cut ? { cut: true } : {}) } : {}),
      });
    },
    /** The run ended: the last event; readers stop after it. */
    end(body: Extract<RunEventBody, { type: 'run_ended' }>) {
      append(body);
      ended = true;
    },
    mark: (): EventLogMark => ({ next, calls }),
  };
}
export type RunEvents = ReturnType<typeof createRunEvents>;

/** What an event adds to the log's size: the characters of its texts (plus a little). */
function sizeOf(e: RunEvent): number {
  switch (e.type) {
    case 'model_delta':
      return 64 + (e.text?.length ?? 0) + (e.toolCalls?.reduce((n, c) => n + c.args.length, 0) ?? 0);
    case 'model_finished':
    case 'run_ended':
      return 64 + (e.text?.length ?? 0);
    case 'tool_requested':
      return 64 + e.args.length;
    case 'tool_finished':
      return 64 + e.result.length;
    case 'decision':
      return 128 + (e.entry.reason?.length ?? 0);
    default:
      return 64;
  }
}
