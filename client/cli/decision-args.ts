/**
 * What the commands a human decides with share — `approve|reject|edit <runId> <approvalId>`
 * and `answer|redirect|end <runId> <escalationId>` — and who decides: `--as ID --groups g1,g2`.
 */
import type { ActorInput } from '../../core/principal.ts';
import type { CommandArgs } from './flags.ts';

/** `--groups a, b,,c` → `['a', 'b', 'c']`. */
export const parseGroups = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);

export interface DecisionTarget {
  runId: string;
  /** The approval or escalation decided. */
  id: string;
  actor: ActorInput;
  /** The words after the two ids (`answer` and `redirect` take a text). */
  text: string;
}

export function parseDecisionTarget(
  { name, rest, values }: CommandArgs,
  target: 'approval' | 'escalation',
  takesText = false,
): DecisionTarget | { error: string } {
  const [runId, id, ...words] = rest;
  if (runId === undefined || id === undefined) return { error: `"${name}" needs a run id and an ${target} id` };
  if (values.as === undefined) return { error: `"${name}" needs --as <id>: who is deciding` };
  if (!takesText && words.length > 0)
    return { error: `"${name}" takes a run id and an ${target} id, got extra arguments: ${words.join(' ')}` };
  return { runId, id, actor: { id: values.as, groups: parseGroups(values.groups) }, text: words.join(' ').trim() };
}
