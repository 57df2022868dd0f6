/** The sandbox-safe domain shared by workflows, activities, worker and client: canonical
 * messages, model calls, usage, the failure vocabulary, the run contract and the provider
 * profiles (what configures each provider; no SDK). */
export * from './messages.ts';
export * from './usage.ts';
export * from './model.ts';
export * from './failures.ts';
export * from './run.ts';
export * from './activity-contracts.ts';
export * from './pricing.ts';
export * from './routing.ts';
export * from './output.ts';
export * from './calls.ts';
export * from './principal.ts';
export * from './budgets.ts';
export * from './approvals.ts';
export * from './zod-issues.ts';
export * from './cause-chain.ts';
export * from './env-values.ts';
export * from './provider-profile.ts';
export * from './providers/index.ts';
