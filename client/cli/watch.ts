/**
 * `watch <runId>`: follows a run live — the model's answer as it streams, each step, tool
 * call and decision, and the end — from the run's events (`run.events()`). `--from N`
 * resumes after a disconnect; `--json` prints one event per line (NDJSON).
 */
import type { RunEvent } from '../../core/run-events.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import { oneLine } from './format.ts';
import type { Job } from './job.ts';

/** Longest line of arguments, results and reasons shown. */
const LINE = 160;

export function parseWatch({ rest, values, connection, json }: CommandArgs<'watch'>): ParseResult {
  if (rest.length !== 1) return { error: `"watch" takes one run id, got ${rest.length} arguments` };
  const runId = rest[0]!;
  if (values.from === undefined) return { kind: 'watch', connection, runId, json };
  const from = Number(values.from);
  if (values.from.trim() === '' || !Number.isInteger(from) || from < 0)
    return { error: `--from takes an event offset, a whole number ≥ 0 (got "${values.from}")` };
  return { kind: 'watch', connection, runId, json, from };
}

export function watchJob(cmd: CommandOf<'watch'>): Job {
  const { runId } = cmd;
  return {
    runId,
    async run(client, output) {
      const render = cmd.json ? (e: RunEvent) => output.out(JSON.stringify(e)) : createWatchRenderer(output.write);
      let outcome: string | undefined;
      const handle = client.getHandle(runId);
      for await (const e of handle.events(cmd.from !== undefined ? { from: cmd.from } : {})) {
        render(e);
        if (e.type === 'run_ended') outcome = e.outcome;
      }
      if (outcome === undefined) {
        // Closed without its end event (terminated, timed out): the result says how.
        await handle.result();
        return 1;
      }
      return outcome === 'answer' ? 0 : 1;
    },
  };
}

/**
 * Turns events into what a person watching reads: streamed text written as it comes, one
 * line per step, tool call and decision. A delta of a later attempt of the same model call
 * says that the earlier attempt's partial answer is superseded and starts over.
 */
export function createWatchRenderer(write: (text: string) => void): (e: RunEvent) => void {
  /** The call and attempt whose text is being written, if a line is open. */
  let streaming: { call: number; attempt: number; text: string } | undefined;
  const attempts = new Map<number, number>();
  const endLine = () => {
    if (streaming) write('\n');
    streaming = undefined;
  };
  const line = (text: string) => {
    endLine();
    write(`${text}\n`);
  };
  return (e) => {
    switch (e.type) {
      case 'run_started':
        return line(
          e.continuation ? `— continued as new (part ${e.continuation + 1})` : `run started · agent ${e.agent}`,
        );
      case 'step_started':
        return line(`step ${e.step}`);
      case 'model_started':
        return line(`  ${e.model} · ${e.purpose} (call ${e.call})`);
      case 'model_delta': {
        const seen = attempts.get(e.call);
        if (seen !== undefined && e.attempt > seen)
          line(`  ↻ attempt ${e.attempt} of call ${e.call} (attempt ${seen}'s partial answer superseded)`);
        attempts.set(e.call, Math.max(seen ?? 0, e.attempt));
        if (!streaming || streaming.call !== e.call || streaming.attempt !== e.attempt) {
          endLine();
          write('  │ ');
          streaming = { call: e.call, attempt: e.attempt, text: '' };
        }
        if (e.text) write(e.text.replaceAll('\n', '\n  │ '));
        streaming.text += e.text ?? '';
        for (const t of e.toolCalls ?? []) write(`${t.name ? `[${t.name}] ` : ''}${t.args}`);
        return;
      }
      case 'model_finished': {
        const streamed = streaming?.call === e.call && (e.attempt === undefined || streaming.attempt === e.attempt);
        const tokens = `${e.inputTokens} in / ${e.outputTokens} out`;
        const cost = e.costUsd === null ? 'unpriced' : `$${e.costUsd.toFixed(6)}`;
        const attempt = e.attempt && e.attempt > 1 ? ` · attempt ${e.attempt}` : '';
        // The last pieces are not streamed (the call's result carries them): finish the text.
        if (streamed && e.text?.startsWith(streaming!.text))
          write(e.text.slice(streaming!.text.length).replaceAll('\n', '\n  │ '));
        endLine();
        if (e.outcome !== 'ok') return line(`  ✗ ${e.model} ${e.outcome}${e.text ? `: ${oneLine(e.text, LINE)}` : ''}`);
        // Not streamed (a fast answer, or streaming off): the answer is shown whole here.
        if (!streamed && e.text) write(`  │ ${e.text.replaceAll('\n', '\n  │ ')}${e.cut ? ' …' : ''}\n`);
        const asked = e.toolCalls?.length ? ` · asks for ${e.toolCalls.join(', ')}` : '';
        return line(
          `  ✓ ${tokens} · ${cost}${e.latencyMs !== undefined ? ` · ${e.latencyMs} ms` : ''}${attempt}${asked}`,
        );
      }
      case 'tool_requested':
        return line(`  → ${e.tool}(${oneLine(e.args, LINE)}${e.cut ? ' …' : ''})`);
      case 'tool_finished':
        return line(`  ${e.isError ? '✗' : '←'} ${e.tool}: ${oneLine(e.result, LINE)}${e.cut ? ' …' : ''}`);
      case 'decision': {
        const { entry } = e;
        const what = [entry.tool, entry.reason].filter(Boolean).join(': ');
        return line(`  ◆ ${entry.event.replaceAll('_', ' ')} by ${entry.by}${what ? ` — ${oneLine(what, LINE)}` : ''}`);
      }
      case 'step_finished':
        return endLine();
      case 'run_ended':
        return line(
          `run ended: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}${e.text !== undefined ? `\n${e.text}${e.cut ? ' …' : ''}` : ''}`,
        );
    }
  };
}
