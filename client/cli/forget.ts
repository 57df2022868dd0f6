/**
 * `forget <runId> --as ID`: erase a closed run's stored content (conversation, summaries,
 * content by reference, trace records, blobs), logged in the store's erasure log; an open
 * run is refused. `erasures [runId]`: that log. Both asked of a worker of the task queue
 * (the one with the run store), so they work from any host.
 */
import type { Erasure } from '../../core/erasure.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import type { Job } from './job.ts';

export function parseForget({ rest, values, connection, json }: CommandArgs<'forget'>): ParseResult {
  if (rest.length !== 1) return { error: `"forget" takes one run id, got ${rest.length} arguments` };
  const by = values.as?.trim();
  if (!by) return { error: '"forget" needs --as ID: who asks, for the erasure log' };
  return { kind: 'forget', connection, runId: rest[0]!, by, json };
}

export function parseErasures({ rest, values, connection, json }: CommandArgs<'erasures'>): ParseResult {
  if (rest.length > 1) return { error: `"erasures" takes at most one run id, got ${rest.length} arguments` };
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
    return { error: `--limit takes a whole number from 1 to 1000 (got "${values.limit}")` };
  return {
    kind: 'erasures',
    connection,
    json,
    ...(rest[0] !== undefined ? { runId: rest[0] } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

export function forgetJob(cmd: CommandOf<'forget'>): Job {
  return {
    runId: cmd.runId,
    async run(client, output) {
      const erasure = await client.forget(cmd.runId, { by: cmd.by });
      output.print(erasure, `forgot ${cmd.runId}: ${formatCounts(erasure)} (erasure #${erasure.seq}, ${erasure.at})`);
      return 0;
    },
  };
}

export function erasuresJob(cmd: CommandOf<'erasures'>): Job {
  return {
    async run(client, output) {
      const log = await client.erasures({
        ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}),
        ...(cmd.limit !== undefined ? { limit: cmd.limit } : {}),
      });
      output.print(log, log.length ? log.map(formatErasure).join('\n') : 'no erasures recorded');
      return 0;
    },
  };
}

const formatCounts = ({ counts: c }: Erasure) =>
  `${c.messages} message(s), ${c.summaries} summary(ies), ${c.contents} content(s), ${c.traceRecords} trace record(s), ${c.blobs} blob(s) erased`;

export const formatErasure = (e: Erasure) =>
  `#${e.seq} ${e.at} ${e.runId} · ${e.reason === 'forget' ? `forgotten by ${e.by}` : 'retention'} · ${formatCounts(e)}`;
