import { formatIssues } from '../core/zod-issues.ts';

/** Input failed validation before anything reached Temporal: a run input, or a human
 * decision on a run. Nothing was written; `issues` says what to fix, field by field. */
export class RunInputError extends Error {
  readonly issues: { path: string; message: string }[];
  /** What was invalid: `run input`, `decision`, `escalation resolution`. */
  readonly subject: string;
  constructor(issues: { path: string; message: string }[], subject = 'run input') {
    super(`invalid ${subject}: ${formatIssues(issues)}`);
    this.name = 'RunInputError';
    this.issues = issues;
    this.subject = subject;
  }
}

/** A run with this id exists already (run ids are unique per namespace). */
export class RunAlreadyExistsError extends Error {
  readonly runId: string;
  constructor(runId: string) {
    super(`a run with id "${runId}" already exists`);
    this.name = 'RunAlreadyExistsError';
    this.runId = runId;
  }
}

/**
 * The run refused a human decision: its Update validator (or handler) said no — an unknown,
 * stale or already decided approval or escalation, an approver outside the required group,
 * edited arguments that fail the tool's schema or authorization. Nothing was written to the
 * run's history by a validator rejection; `reason` is the run's own explanation.
 *
 * @example
 * try { await run.approve('ap-1', { id: 'alice', groups: ['support-leads'] }); }
 * catch (err) { if (err instanceof DecisionRejectedError) console.error(err.reason); }
 */
export class DecisionRejectedError extends Error {
  readonly runId: string;
  /** The approval or escalation the decision was about. */
  readonly targetId: string;
  /** The validator's message, verbatim. */
  readonly reason: string;
  /** The failure type the workflow gave, when it gave one. */
  readonly failureType?: string;
  constructor(opts: { runId: string; targetId: string; reason: string; failureType?: string }) {
    super(`run ${opts.runId} refused the decision on ${opts.targetId}: ${opts.reason}`);
    this.name = 'DecisionRejectedError';
    this.runId = opts.runId;
    this.targetId = opts.targetId;
    this.reason = opts.reason;
    if (opts.failureType !== undefined) this.failureType = opts.failureType;
  }
}
