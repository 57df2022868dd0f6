/** The run input failed validation before anything was started. Nothing was written to
 * Temporal; `issues` says what to fix, field by field. */
export class RunInputError extends Error {
  readonly issues: { path: string; message: string }[];
  constructor(issues: { path: string; message: string }[]) {
    super(`invalid run input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'RunInputError';
    this.issues = issues;
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
