/** History sizes, as the server stores them: each event's encoded bytes. */
import protoPkg from '@temporalio/proto';
import type { temporal as TemporalProto } from '@temporalio/proto';

export type History = TemporalProto.api.history.v1.IHistory;
const { temporal } = protoPkg;
const HistoryMsg = temporal.api.history.v1.History;

export interface HistoryStats {
  bytes: number;
  events: number;
  /** Completed activities of the model type (callModel, invokeModel, floorModel). */
  modelCalls: number;
  /** Bytes of all events up to and including the k-th model completion (k = 1..). */
  bytesAtModelCompletion: number[];
}

const idKey = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** An event's share of the encoded History: its bytes plus the field tag and length. */
export const eventBytes = (e: TemporalProto.api.history.v1.IHistoryEvent): number =>
  HistoryMsg.encode({ events: [e] }).finish().length;

export const historyBytes = (h: History): number => HistoryMsg.encode(h).finish().length;

export function historyStats(history: History, modelActivity: string): HistoryStats {
  const events = history.events ?? [];
  const scheduledType = new Map<string, string>();
  const bytesAtModelCompletion: number[] = [];
  let cumulative = 0;
  for (const e of events) {
    cumulative += eventBytes(e);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) scheduledType.set(idKey(e.eventId), scheduled.activityType?.name ?? '');
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && scheduledType.get(idKey(completed.scheduledEventId)) === modelActivity)
      bytesAtModelCompletion.push(cumulative);
  }
  return {
    bytes: historyBytes(history),
    events: events.length,
    modelCalls: bytesAtModelCompletion.length,
    bytesAtModelCompletion,
  };
}

/** Average bytes/step up to step k, and the bytes that step k alone added. */
export function historyAtStep(h: HistoryStats, k: number): { avgPerStep: number; stepBytes: number } {
  const at = h.bytesAtModelCompletion[k - 1] ?? NaN;
  const before = k >= 2 ? (h.bytesAtModelCompletion[k - 2] ?? NaN) : 0;
  return { avgPerStep: at / k, stepBytes: at - before };
}
