import { z } from 'zod';

/**
 * Erasure of a run's stored content (`bosun forget`, the retention sweep): what the run
 * store deletes and the audit entry it keeps of it. Temporal history is not touched here:
 * it is deleted by the namespace's own retention (and encrypted by the payload codec).
 */

/** Why content was erased: a person asked (`forget`), or the retention period ran out. */
export const erasureReasonSchema = z.enum(['forget', 'retention']);
export type ErasureReason = z.infer<typeof erasureReasonSchema>;

/** How many stored rows of each kind an erasure deleted. */
export const erasureCountsSchema = z.object({
  messages: z.number().int().nonnegative(),
  summaries: z.number().int().nonnegative(),
  contents: z.number().int().nonnegative(),
  traceRecords: z.number().int().nonnegative(),
  blobs: z.number().int().nonnegative(),
});
export type ErasureCounts = z.infer<typeof erasureCountsSchema>;

/** One entry of the store's erasure log: who erased which run's content, when, why, and how
 * much. Kept after the content is gone (it holds no content), so the erasure is auditable. */
export const erasureSchema = z.object({
  /** Its place in the log (increasing). */
  seq: z.number().int().nonnegative(),
  runId: z.string(),
  /** ISO time of the erasure. */
  at: z.string(),
  /** Who asked: the user `forget` was given (`--as`), or `retention`. */
  by: z.string(),
  reason: erasureReasonSchema,
  counts: erasureCountsSchema,
});
export type Erasure = z.infer<typeof erasureSchema>;

/** The argument of the `forgetRun` activity and workflow. */
export const forgetRunInputSchema = z.strictObject({
  runId: z.string().min(1),
  /** Who asks, for the erasure log. */
  by: z.string().min(1).max(200),
});
export type ForgetRunInput = z.infer<typeof forgetRunInputSchema>;

/** The argument of the `readErasures` activity and the `erasureLog` workflow. */
export const readErasuresInputSchema = z.strictObject({
  runId: z.string().min(1).optional(),
  limit: z.number().int().positive().max(1000).optional(),
});
export type ReadErasuresInput = z.infer<typeof readErasuresInputSchema>;

/** What one retention sweep did. */
export interface RetentionSweepResult {
  /** The retention period applied, in days, and where it came from. */
  retentionDays: number;
  source: 'BOSUN_RETENTION_DAYS' | 'namespace';
  /** Runs whose content was stored before the cutoff (ISO). */
  cutoff: string;
  /** Runs looked at, erased, and kept (still open, or closed after the cutoff). */
  examined: number;
  erased: number;
  kept: number;
}

/** A run that is still open: its content is never erased (by `forget` or retention). */
export const RUN_OPEN_FAILURE = 'run_open';
/** The failure type of a forget request for a run Temporal does not know. */
export const RUN_UNKNOWN_FAILURE = 'run_unknown';
