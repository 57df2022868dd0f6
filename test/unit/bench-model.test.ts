import { describe, expect, it } from 'vitest';
import { benchModel, stepsDone, taskFor } from '../../bench/fake-model.ts';
import { calcOutput, toolOutputBytes } from '../../bench/tool-output.ts';
import { balancedOrder } from '../../bench/stats.ts';
import { transitions } from '../../bench/matrix.ts';
import type { RecordedRequest } from '../../testing/index.ts';

const request = (messages: unknown[], tool = 'calc_20b'): RecordedRequest => ({
  at: 0,
  method: 'POST',
  path: '/v1/chat/completions',
  headers: {},
  body: { messages, tools: [{ type: 'function', function: { name: tool } }] },
});

describe('bench model and tool', () => {
  it('pads the tool output to the measured size, the sum first', () => {
    expect(calcOutput('3+1', toolOutputBytes['20b'])).toHaveLength(20);
    expect(calcOutput('3+1', toolOutputBytes['5kb'])).toHaveLength(5120);
    expect(calcOutput('3+1', 20).startsWith('3+1=4')).toBe(true);
  });

  it('asks for the offered tool until the task`s steps are done, then answers', () => {
    const user = { role: 'user', content: taskFor(2) };
    const first = benchModel(request([{ role: 'system', content: 'bench' }, user], 'calc_5kb'), 0);
    expect(first).toMatchObject({ kind: 'tool_calls', calls: [{ name: 'calc_5kb', args: { expression: '0+1' } }] });
    const afterOne = [user, { role: 'assistant' }, { role: 'tool', content: calcOutput('0+1', 20) }];
    expect(benchModel(request(afterOne), 1)).toMatchObject({ calls: [{ args: { expression: '1+1' } }] });
    const afterTwo = [...afterOne, { role: 'assistant' }, { role: 'tool', content: calcOutput('1+1', 20) }];
    expect(benchModel(request(afterTwo), 2)).toMatchObject({ kind: 'text', text: 'done' });
  });

  it('reads progress from the last tool result (older ones may be summarized away), in any content shape', () => {
    expect(stepsDone([])).toBe(0);
    expect(stepsDone([{ role: 'tool', content: [{ type: 'text', text: '"41+1=42   ."' }] }])).toBe(42);
  });
});

describe('bench run order', () => {
  it.each([2, 3, 4, 5])('balances positions and neighbours over a square of %i variants', (n) => {
    const rows = n % 2 === 0 ? n : 2 * n;
    const positions = new Map<string, number>();
    const pairs = new Map<string, number>();
    for (let r = 0; r < rows; r++) {
      const order = balancedOrder(r, n);
      expect([...order].sort()).toEqual([...Array(n).keys()]);
      order.forEach((v, i) => {
        positions.set(`${v}@${i}`, (positions.get(`${v}@${i}`) ?? 0) + 1);
        if (i > 0) pairs.set(`${order[i - 1]}>${v}`, (pairs.get(`${order[i - 1]}>${v}`) ?? 0) + 1);
      });
    }
    // Every variant in every position, and right after every other variant, equally often.
    expect(positions.size).toBe(n * n);
    expect(new Set(positions.values()).size).toBe(1);
    expect(pairs.size).toBe(n * (n - 1));
    expect(new Set(pairs.values()).size).toBe(1);
    // The squares repeat.
    expect(balancedOrder(rows + 1, n)).toEqual(balancedOrder(1, n));
  });

  it('does not always put the same variant right before another (as rotating one order does)', () => {
    const before = (r: number) => {
      const o = balancedOrder(r, 4);
      return o[o.indexOf(0) - 1];
    };
    expect(new Set([0, 1, 2, 3].map(before).filter((x) => x !== undefined)).size).toBe(3);
  });
});

describe('the bench timeline of a long run', () => {
  // Event types by number (temporal.api.enums.v1.EventType): 5 WORKFLOW_TASK_SCHEDULED,
  // 6 _STARTED, 7 _COMPLETED, 10 ACTIVITY_TASK_SCHEDULED, 11 _STARTED, 12 _COMPLETED.
  const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
  const run = (steps: { task: number; activity: number }[]) => {
    let t = 0;
    const events: { eventType: number; eventTime: ReturnType<typeof at> }[] = [];
    const push = (eventType: number, after: number) => events.push({ eventType, eventTime: at((t += after)) });
    for (const s of steps) {
      push(5, 0);
      push(6, 1);
      push(7, s.task);
      push(10, 0);
      push(11, 0);
      push(12, s.activity);
    }
    return { events } as never;
  };

  it('sums each transition over the runs, and gives workflow tasks and activities by quarter', () => {
    const steps = [
      { task: 4, activity: 2 },
      { task: 4, activity: 2 },
      { task: 6, activity: 12 },
      { task: 6, activity: 12 },
    ];
    const out = transitions([run(steps), run(steps)]).split('\n');
    expect(out[0]).toBe(
      '  ACTIVITY_TASK_STARTED → ACTIVITY_TASK_COMPLETED: 8×, mean 7.00 ms, total 56 ms, 4 of 10 ms or more (48 ms)',
    );
    expect(out).toContain(
      '  WORKFLOW_TASK_STARTED → WORKFLOW_TASK_COMPLETED: 8×, mean 5.00 ms, total 40 ms, 0 of 10 ms or more (0 ms)',
    );
    expect(out).toContain(
      '  ACTIVITY_TASK_STARTED → ACTIVITY_TASK_COMPLETED, mean ms by quarter of the run: 2.00, 2.00, 12.00, 12.00',
    );
    expect(out).toContain(
      '  WORKFLOW_TASK_STARTED → WORKFLOW_TASK_COMPLETED, mean ms by quarter of the run: 4.00, 4.00, 6.00, 6.00',
    );
    expect(out.at(-1)).toBe('  (2 runs)');
  });
});
