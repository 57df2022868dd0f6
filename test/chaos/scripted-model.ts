/**
 * The model every chaos run talks to: fake OpenAI and Anthropic servers (the public testing
 * kit, real HTTP on 127.0.0.1) whose requests are routed to a script per run. A run is
 * recognised by a marker at the start of its task (`[chaos <runKey>]`), so one pair of fakes
 * serves every case at once, and a case can give each worker process a pair of its own to
 * see which worker sent what.
 *
 * The fakes also check each conversation the way the real APIs do: every tool result must
 * answer a tool call of the assistant turn just before it, and every tool call must be
 * answered. A real provider answers 400 otherwise, so a run whose stored conversation was
 * corrupted (a stale attempt overwrote it) fails here as it would in production.
 */
import {
  startFakeAnthropic,
  startFakeOpenAI,
  type FakeHandler,
  type FakeProviderServer,
  type FakeReply,
  type RecordedRequest,
} from '../kit/index.ts';

export type Wire = 'openai' | 'anthropic';

/** One request of a run, as its script sees it. */
export interface Turn {
  runKey: string;
  /** How many requests of this run came before this one (failed attempts included). */
  n: number;
  wire: Wire;
  /** Which pair of fakes received it: `main`, or the label a case gave a worker's pair. */
  via: string;
  /** Tool results in the conversation so far: 0 on the first step. */
  toolResults: number;
  body: Record<string, unknown>;
}

export type RunScript = (turn: Turn) => FakeReply | Promise<FakeReply>;

export interface FakePair {
  via: string;
  openai: FakeProviderServer;
  anthropic: FakeProviderServer;
  /** The worker variables that point at this pair. */
  env: Record<string, string>;
}

/** The task prefix that routes a run's requests to its script. */
export const chaosMarker = (runKey: string) => `[chaos ${runKey}]`;
const markerPattern = /\[chaos ([A-Za-z0-9._:-]+)\]/;

export class ScriptedModel {
  private readonly scripts = new Map<string, RunScript>();
  private readonly counts = new Map<string, number>();
  private readonly pairs: FakePair[] = [];
  private ids = 0;
  /** Requests whose conversation a real provider would refuse, by run. */
  readonly conversationErrors: { runKey: string; problem: string }[] = [];
  /** Every request that reached a script, in arrival order (body not kept: some are MBs). */
  readonly log: { runKey: string; n: number; via: string; wire: Wire; at: number }[] = [];

  /** Routes the requests of `runKey` to `script` from now on. */
  script(runKey: string, script: RunScript): void {
    this.scripts.set(runKey, script);
  }

  /** Drops a finished run's script and count (a long soak would keep them all otherwise). */
  forget(runKey: string): void {
    this.scripts.delete(runKey);
    this.counts.delete(runKey);
  }

  /** Requests of `runKey` so far. */
  requestsOf(runKey: string): number {
    return this.counts.get(runKey) ?? 0;
  }

  /** A tool call id no other request of the campaign gets (the fakes' own counters are per
   * server, so two workers' fakes would hand out the same ids). */
  callId(wire: Wire): string {
    return `${wire === 'openai' ? 'call' : 'toolu'}_chaos_${++this.ids}`;
  }

  /** A pair of fakes routed to the scripts; `via` labels its requests. */
  async fakes(via: string): Promise<FakePair> {
    const openai = await startFakeOpenAI();
    const anthropic = await startFakeAnthropic();
    openai.setHandler(this.handler('openai', via, openai));
    anthropic.setHandler(this.handler('anthropic', via, anthropic));
    const pair: FakePair = {
      via,
      openai,
      anthropic,
      env: {
        OPENAI_BASE_URL: openai.baseURL,
        OPENAI_API_KEY: 'sk-chaos-openai',
        ANTHROPIC_BASE_URL: anthropic.baseURL,
        ANTHROPIC_API_KEY: 'sk-ant-chaos',
      },
    };
    this.pairs.push(pair);
    return pair;
  }

  async close(): Promise<void> {
    await Promise.all(this.pairs.flatMap((p) => [p.openai.close(), p.anthropic.close()]));
  }

  private handler(wire: Wire, via: string, server: FakeProviderServer): FakeHandler {
    return async (req: RecordedRequest) => {
      // The fake records every request; with MB-sized bodies and thousands of runs that
      // would be the campaign's memory. The scripts keep what they need.
      server.requests.splice(0);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const runKey = runKeyOf(body);
      const script = runKey === undefined ? undefined : this.scripts.get(runKey);
      if (runKey === undefined || !script) {
        return { kind: 'error', status: 400, message: `chaos fake: no script for this request (run ${runKey})` };
      }
      const n = this.counts.get(runKey) ?? 0;
      this.counts.set(runKey, n + 1);
      this.log.push({ runKey, n, via, wire, at: Date.now() });
      const problem = conversationProblem(wire, body);
      if (process.env.CHAOS_TRACE) {
        const results = toolResultCount(wire, body);
        console.error(
          `[chaos trace] ${new Date().toISOString()} ${runKey} #${n} via ${via} ${wire} results=${results}${problem ? ` REFUSED: ${problem}` : ''}`,
        );
      }
      if (problem) {
        this.conversationErrors.push({ runKey, problem });
        return { kind: 'error', status: 400, message: problem };
      }
      return script({ runKey, n, wire, via, toolResults: toolResultCount(wire, body), body });
    };
  }
}

/** The run key in the first user message (the task), found without serialising MBs. */
function runKeyOf(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const first = messages.find((m) => m?.role === 'user');
  const content = first?.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? String((content as { text?: unknown }[]).find((b) => typeof b?.text === 'string')?.text ?? '')
        : '';
  return markerPattern.exec(text.slice(0, 500))?.[1];
}

type Block = { type?: string; id?: string; tool_use_id?: string };
type WireMessage = { role?: string; content?: unknown; tool_calls?: { id?: string }[]; tool_call_id?: string };

function toolResultCount(wire: Wire, body: Record<string, unknown>): number {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as WireMessage[];
  if (wire === 'openai') return messages.filter((m) => m.role === 'tool').length;
  return messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Block[]) : [])).filter(isResult).length;
}
const isResult = (b: Block) => b?.type === 'tool_result';
const isUse = (b: Block) => b?.type === 'tool_use';

/**
 * What a real provider would refuse in this conversation, or undefined. OpenAI: tool
 * messages must follow an assistant message whose `tool_calls` hold their ids, and each call
 * must be answered. Anthropic: a user turn's `tool_result` blocks must answer the
 * `tool_use` blocks of the assistant turn before it, every one of them.
 */
export function conversationProblem(wire: Wire, body: Record<string, unknown>): string | undefined {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as WireMessage[];
  if (wire === 'openai') {
    let open = new Set<string>();
    for (const [i, m] of messages.entries()) {
      if (m.role === 'tool') {
        if (!open.delete(m.tool_call_id ?? '')) {
          return `Invalid parameter: messages[${i}] with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id ${m.tool_call_id})`;
        }
        continue;
      }
      if (open.size > 0) {
        return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. Missing: ${[...open].join(', ')}`;
      }
      open = new Set((m.role === 'assistant' ? (m.tool_calls ?? []) : []).map((c) => c.id ?? ''));
    }
    return undefined;
  }
  let asked = new Set<string>();
  for (const [i, m] of messages.entries()) {
    const blocks = Array.isArray(m.content) ? (m.content as Block[]) : [];
    if (m.role === 'user') {
      for (const r of blocks.filter(isResult)) {
        if (!asked.delete(r.tool_use_id ?? '')) {
          return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${r.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
      if (asked.size > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...asked].join(', ')}`;
      }
      asked = new Set();
    } else if (m.role === 'assistant') {
      asked = new Set(blocks.filter(isUse).map((b) => b.id ?? ''));
    }
  }
  return undefined;
}
