import { describe, expect, it } from 'vitest';
import { listRunsQuery, startRunBody } from '../../api/schemas.ts';

describe('HTTP API query and body schemas', () => {
  it('filters runs by a status word runs can have, and names the others as errors', () => {
    expect(listRunsQuery.parse({ status: 'waiting_for_approval' }).status).toBe('waiting_for_approval');
    expect(listRunsQuery.parse({ status: 'budget_exhausted' }).status).toBe('budget_exhausted');
    expect(listRunsQuery.safeParse({ status: 'finished' }).success).toBe(false);
  });

  it('refuses a new run id of the form sub-agents get', () => {
    expect(startRunBody.safeParse({ agent: 'support', task: 't', runId: 'order-7:sub1.2' }).success).toBe(false);
    expect(startRunBody.safeParse({ agent: 'support', task: 't', runId: 'order-7' }).success).toBe(true);
  });
});
