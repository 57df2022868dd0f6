import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { formatIssue, formatIssues, issueLines, issuePath } from '../../core/zod-issues.ts';

const schema = z.object({ name: z.string().min(1), tags: z.array(z.string()) });
const errorOf = (value: unknown) => schema.safeParse(value).error!;

describe('zod issues', () => {
  it('says each issue as path: message, joined by "; "', () => {
    const error = errorOf({ name: '', tags: ['a', 1] });
    expect(formatIssues(error)).toBe(error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    expect(formatIssues(error)).toMatch(/^name: .+; tags\.1: /);
  });

  it('names an issue about the whole value by its root, and keeps at most `max`', () => {
    expect(formatIssues(errorOf('nope'))).toMatch(/^\(input\): /);
    expect(issueLines(errorOf('nope'), { root: '(output)' })[0]).toMatch(/^\(output\): /);
    expect(issueLines(errorOf({ name: '', tags: [1, 2, 3] }), { max: 2 })).toHaveLength(2);
  });

  it('takes issues whose path is already joined', () => {
    expect(
      formatIssues([
        { path: 'agent.name', message: 'required' },
        { path: 'task', message: 'too long' },
      ]),
    ).toBe('agent.name: required; task: too long');
    expect(formatIssue({ path: [], message: 'x' }, '(env)')).toBe('(env): x');
    expect(issuePath([Symbol.for('s'), 0])).toBe('Symbol(s).0');
  });
});
