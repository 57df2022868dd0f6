import type { WorkflowExecutionInfo } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { summarizeRuns } from '../../client/stats.ts';
import { searchAttributes } from '../../workflows/definitions.ts';

/** A finished run as the visibility list returns it: search attributes and the memo only. */
const finishedRun = (memoStats: Record<string, unknown>, costUsd = 0.001): WorkflowExecutionInfo =>
  ({
    status: { name: 'COMPLETED' },
    startTime: new Date('2026-11-28T12:00:00Z'),
    closeTime: new Date('2026-11-28T12:00:02Z'),
    typedSearchAttributes: new TypedSearchAttributes([
      { key: searchAttributes.status, value: 'completed' },
      { key: searchAttributes.costUsd, value: costUsd },
    ]),
    memo: { stats: memoStats },
  }) as unknown as WorkflowExecutionInfo;

const window = { since: '2026-11-28T00:00:00.000Z', until: '2026-11-29T00:00:00.000Z' };

describe('stats: unpriced models', () => {
  it('counts the calls no price covered, in how many runs, and names the models', () => {
    const report = summarizeRuns(
      [
        finishedRun({ unpricedCalls: 2, unpricedModels: ['openai/gpt-9'] }, 0),
        finishedRun({ unpricedCalls: 1, unpricedModels: ['anthropic/claude-next', 'openai/gpt-9'] }),
        finishedRun({}),
      ],
      window,
    );
    expect(report.unpriced).toEqual({ calls: 3, runs: 2, models: ['anthropic/claude-next', 'openai/gpt-9'] });
  });

  it('reports none when every call was priced (or the workers predate the figure)', () => {
    expect(summarizeRuns([finishedRun({}), finishedRun({ unpricedCalls: 0 })], window).unpriced).toEqual({
      calls: 0,
      runs: 0,
      models: [],
    });
  });
});
