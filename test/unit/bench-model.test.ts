import { describe, expect, it } from 'vitest';
import { benchModel, stepsDone, taskFor } from '../../bench/fake-model.ts';
import { calcOutput, toolOutputBytes } from '../../bench/tool-output.ts';
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
