/**
 * The `bosun` command line, a thin shell over the typed client (`../client.ts`): one file
 * per command group (`runs`, `tasks`, `run-by-id`, `approvals`, `escalations`, `stats`), the
 * parsing and formatting they share, and `main`. The program itself is `../cli.ts`.
 */
export { main, type CliDeps } from './main.ts';
export type { CliClient, Job, Output } from './job.ts';
export type { Command, CommandName, ConnectOptions, ParseResult, RagOptions } from './command.ts';
export { parseCommand, parseCommandLine } from './parse.ts';
export { commandUsage, usage } from './usage.ts';
export { describeError } from './describe-error.ts';
export { defaultModel, exampleRoutingName, parseModelRef } from './start-options.ts';
export { contractName, providersFromEnv } from './input-files.ts';
export { parseGroups } from './decision-args.ts';
export { argsSummaryLength, formatDuration, summarizeArgs } from './format.ts';
export {
  formatBudgetLimit,
  formatModelsUsed,
  formatOutcome,
  formatResult,
  formatRetrieved,
  resultExitCode,
} from './format-result.ts';
export { formatAudit, formatStatus, statusEventLines, statusTree, type StatusTree } from './run-by-id.ts';
export { formatApprovals, formatDecision } from './approvals.ts';
export { formatResolution } from './escalations.ts';
export { formatStats, parseSince } from './stats.ts';
