/**
 * `trace <runId> [--step N] [--detail] [--json]`: what a run sent and got back at each step —
 * every attempt of every model call and tool call, the failed ones marked as superseded by
 * the attempt that followed. `--json` prints the whole `RunTrace` (`core/trace.ts`).
 */
import type { AuditEntry } from '../../core/approvals.ts';
import type { Message } from '../../core/messages.ts';
import type { RunTrace } from '../../core/trace.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import { formatDuration, oneLine, plural, summarizeArgs } from './format.ts';
import type { Job } from './job.ts';

export function parseTrace({ rest, values, connection, json }: CommandArgs<'trace'>): ParseResult {
  if (rest.length === 0) return { error: `"trace" needs a run id` };
  if (rest.length > 1) return { error: `"trace" takes one run id, got ${rest.length} arguments` };
  const detail = values.detail ?? false;
  const base = { kind: 'trace' as const, connection, runId: rest[0]!, detail, json };
  if (values.step === undefined) return base;
  const step = Number(values.step);
  if (values.step.trim() === '' || !Number.isInteger(step) || step < 0)
    return { error: `--step takes a step number (0 or more; got "${values.step}")` };
  return { ...base, step };
}

export function traceJob(cmd: CommandOf<'trace'>): Job {
  return {
    runId: cmd.runId,
    async run(client, output) {
      const trace = await client
        .getHandle(cmd.runId)
        .trace({ ...(cmd.step !== undefined ? { step: cmd.step } : {}), ...(cmd.detail ? { detail: true } : {}) });
      output.print(trace, formatTrace(trace, cmd.step));
      return 0;
    },
  };
}

type Step = RunTrace['steps'][number];
type ModelCall = Step['modelCalls'][number];
type ToolCall = Step['toolCalls'][number];
type ModelTry = Exclude<ModelCall['attempts'][number], { kind: 'lost' }>;
type ToolTry = Exclude<ToolCall['attempts'][number], { kind: 'lost' }>;

/** The trace as people read it: step → model calls → attempts; tool calls with their
 * decisions and attempts. */
export function formatTrace(trace: RunTrace, step?: number, indent = ''): string {
  const lines = [`run ${trace.runId}${step !== undefined ? ` · step ${step}` : ''}`];
  if (trace.steps.length === 0)
    lines.push(step !== undefined ? `  nothing recorded for step ${step}` : '  nothing recorded yet');
  for (const s of trace.steps) {
    lines.push(`step ${s.step}`);
    for (const c of s.modelCalls) lines.push(...modelCallLines(c));
    for (const t of s.toolCalls) lines.push(...toolCallLines(t, trace.erased !== undefined));
    for (const d of s.decisions) lines.push(`  ${decision(d)}`);
  }
  for (const w of trace.warnings) lines.push(`warning: ${w}`);
  return lines.map((l) => indent + l).join('\n');
}

function modelCallLines(c: ModelCall): string[] {
  const route = c.route
    ? ` · ${c.route.purpose} · ${oneLine(c.route.reason, 100)}${c.route.fallbackFrom ? ` · fallback from ${c.route.fallbackFrom}` : ''}`
    : '';
  const lines = [`  model ${c.model}${route}`];
  for (const a of c.attempts) {
    const tag = `    attempt ${a.attempt}`;
    const superseded = a.superseded ? ` — superseded by attempt ${a.attempt + 1}` : '';
    if (a.kind === 'lost') {
      lines.push(`${tag}  LOST (no record: its worker stopped mid-attempt)${superseded}`);
      continue;
    }
    lines.push(`${tag}  ${modelAttemptSummary(a)}${superseded}`);
    if (a.outcome.status === 'failed') {
      lines.push(`      ${oneLine(a.outcome.message, 160)}`);
      continue;
    }
    lines.push(...modelAttemptDetail(a));
  }
  return lines;
}

function modelAttemptSummary(a: ModelTry): string {
  const parts: string[] = [
    a.outcome.status === 'ok' ? 'ok' : `FAILED ${a.outcome.type}${a.outcome.retryable ? ' (retryable)' : ''}`,
  ];
  if (a.prompt) parts.push(`prompt ${a.prompt.name}@${a.prompt.hash.slice(0, 12)}`);
  if (a.usage) {
    const cached = a.usage.cachedInput ? ` (${a.usage.cachedInput} cached)` : '';
    parts.push(
      `${a.usage.input}${cached} in / ${a.usage.output} out tokens${a.outcome.status === 'ok' ? '' : ' billed'}`,
    );
  }
  if (a.costUsd !== undefined) parts.push(a.costUsd === null ? 'cost unknown' : `$${a.costUsd.toFixed(6)}`);
  parts.push(formatDuration(a.latencyMs));
  if (a.answer) parts.push(`stop ${a.answer.stop}`);
  return parts.join(' · ');
}

function modelAttemptDetail(a: ModelTry): string[] {
  const lines: string[] = [];
  const m = a.messages;
  const sent = m.conversationId
    ? `${m.length === 1 ? 'message 0' : `messages 0–${m.length - 1}`} of ${m.conversationId} (${m.appended} new)${m.summaryUpTo !== undefined ? `, 1–${m.summaryUpTo - 1} as a summary` : ''}`
    : `${plural(m.inline ?? m.length, 'message')} inline`;
  const tools = a.tools.offered
    ? a.tools.offered.length
      ? `tools ${a.tools.offered.map((t) => `${t.name}#${t.schemaHash.slice(0, 8)}`).join(', ')}`
      : 'no tools'
    : a.tools.ref
      ? `tools ${a.tools.ref.slice(0, 18)}…`
      : 'no tools';
  const p = a.parameters;
  const params = [
    `max ${p.maxOutputTokens} out`,
    ...(p.temperature !== undefined ? [`temperature ${p.temperature}`] : []),
    ...(p.output ? [`output ${p.output.name}#${p.output.schemaHash.slice(0, 8)}`] : []),
  ].join(', ');
  lines.push(`      sent: ${sent}; ${tools}; ${params}`);
  if (a.sent) for (const msg of a.sent) lines.push(`        ${messageLine(msg)}`);
  if (a.answer) {
    if (a.answer.text) lines.push(`      answer: ${oneLine(a.answer.text, 160)}`);
    for (const c of a.answer.toolCalls) lines.push(`      asks: ${c.name} ${summarizeArgs(c.input, 120)} (${c.id})`);
  }
  return lines;
}

function messageLine(m: Message): string {
  switch (m.role) {
    case 'user':
      return `user: ${oneLine(m.content, 140)}`;
    case 'assistant':
      return `assistant: ${oneLine(m.text, 100)}${m.toolCalls.length ? ` [${m.toolCalls.map((c) => c.name).join(', ')}]` : ''}`;
    case 'tool':
      return `tool: ${m.results.map((r) => `${r.name}${r.isError ? ' (error)' : ''}: ${oneLine(r.content, 60)}`).join(' | ')}`;
  }
}

function toolCallLines(t: ToolCall, erased = false): string[] {
  const lines = [`  tool ${t.tool} (${t.callId})`];
  for (const d of t.decisions) lines.push(`    ${decision(d)}`);
  if (t.subAgent) {
    const sub = t.subAgent;
    lines.push(`    sub-agent ${sub.agent} · run ${sub.runId} · ${sub.state.replaceAll('_', ' ')}`);
    if (sub.trace) lines.push(formatTrace(sub.trace, undefined, '      '));
    return lines;
  }
  // An erased run's attempts are gone with its content: say so, not that the call never ran.
  if (t.attempts.length === 0) lines.push(erased ? '    attempts erased with the run’s content' : '    not run');
  // An early attempt ran inside the model call (docs/tools-and-approvals.md, "Early results"):
  // superseded when the call ran again as an activity, or unused when the gate stopped it.
  const ranAgain = t.attempts.some((a) => a.kind === 'lost' || !a.early);
  for (const a of t.attempts) {
    const early = a.kind !== 'lost' && a.early === true;
    const tag = early ? '    early, inside the model call' : `    attempt ${a.attempt}`;
    const superseded = !a.superseded
      ? ''
      : !early
        ? ` — superseded by attempt ${a.attempt + 1}`
        : ranAgain
          ? ' — run again as an activity'
          : ' — not used: the gate stopped the call';
    if (a.kind === 'lost') {
      lines.push(`${tag}  LOST (no record: its worker stopped mid-attempt)${superseded}`);
      continue;
    }
    lines.push(`${tag}  ${toolAttemptSummary(a)}${superseded}`);
    lines.push(`      arguments: ${summarizeArgs(a.arguments, 160)}`);
    const auth = a.authorization;
    lines.push(
      `      for ${auth.principal.user} (tenant ${auth.principal.tenant}; scopes ${auth.principal.scopes.join(', ') || 'none'})${auth.approvedBy ? `; approved by ${auth.approvedBy}` : ''}`,
    );
    if (a.outcome.status === 'failed') lines.push(`      ${oneLine(a.outcome.message, 160)}`);
    else if (a.result)
      lines.push(
        `      result: ${oneLine(a.result.content, 160)}${a.result.ref ? ` (${a.result.chars ?? '?'} chars, stored as ${a.result.ref})` : ''}`,
      );
  }
  return lines;
}

function toolAttemptSummary(a: ToolTry): string {
  const outcome =
    a.outcome.status === 'ok' ? 'ok' : `FAILED ${a.outcome.type}${a.outcome.retryable ? ' (retryable)' : ''}`;
  const version = a.tool.version ? ` · version ${a.tool.version}` : '';
  const mcp = a.tool.server ? ` · MCP ${a.tool.server} schema ${a.tool.schemaHash ?? '?'}` : '';
  return `${outcome}${version}${mcp} · ${formatDuration(a.latencyMs)}`;
}

function decision(d: AuditEntry): string {
  return `${d.event.replaceAll('_', ' ')} by ${d.by}${d.reason ? `: ${oneLine(d.reason, 120)}` : ''}${d.edit ? ` (arguments ${summarizeArgs(d.edit.from, 60)} → ${summarizeArgs(d.edit.to, 60)})` : ''}`;
}
