/**
 * `answer`, `redirect`, `end`: resolve a run waiting for a human — answer for it (it ends with
 * the answer), give it a new instruction (it carries on), or end it.
 */
import type { EscalationResolutionInput } from '../../core/approvals.ts';
import { validateEscalationResolution } from '../client.ts';
import type { CommandOf, ParseResult } from './command.ts';
import { parseDecisionTarget } from './decision-args.ts';
import type { CommandArgs } from './flags.ts';
import type { Job } from './job.ts';

export function parseResolution(args: CommandArgs<'answer' | 'redirect' | 'end'>): ParseResult {
  const { name, values, connection, json } = args;
  const target = parseDecisionTarget(args, 'escalation', name !== 'end');
  if ('error' in target) return target;
  const { runId, id: escalationId, actor: by, text } = target;
  switch (name) {
    case 'answer':
      if (!text) return { error: '"answer" needs the answer text' };
      return { kind: 'resolve', connection, runId, resolution: { action: 'answer', escalationId, by, text }, json };
    case 'redirect':
      if (!text) return { error: '"redirect" needs the new instruction' };
      return {
        kind: 'resolve',
        connection,
        runId,
        resolution: { action: 'redirect', escalationId, by, instruction: text },
        json,
      };
    case 'end':
      if (values.reason === undefined) return { error: '"end" needs --reason "...": why the run is ended' };
      return {
        kind: 'resolve',
        connection,
        runId,
        resolution: { action: 'end', escalationId, by, reason: values.reason },
        json,
      };
  }
}

export function resolutionJob(cmd: CommandOf<'resolve'>): Job {
  validateEscalationResolution(cmd.resolution);
  const { runId, resolution: r } = cmd;
  return {
    runId,
    async run(client, output) {
      const handle = client.getHandle(runId);
      const ack =
        r.action === 'answer'
          ? await handle.answer(r.escalationId, r.by, r.text)
          : r.action === 'redirect'
            ? await handle.redirect(r.escalationId, r.by, r.instruction)
            : await handle.end(r.escalationId, r.by, r.reason);
      output.print(ack, formatResolution(runId, r));
      return 0;
    },
  };
}

export function formatResolution(runId: string, r: EscalationResolutionInput): string {
  const did = {
    answer: `answered for run ${runId}; it ends with this answer`,
    redirect: `redirected run ${runId}; it carries on`,
    end: `ended run ${runId}`,
  }[r.action];
  return `escalation ${r.escalationId}: ${did}`;
}
