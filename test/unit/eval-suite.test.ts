import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkScriptCovers, loadProviderScript, scriptedHandler } from '../../eval/scripted-provider.ts';
import { parseSuite, SuiteError } from '../../eval/suite.ts';
import type { Message } from '../../core/messages.ts';
import { classifierInput, STEP_CLASSIFIER_INSTRUCTIONS } from '../../core/step-classifier.ts';
import { applyVariant, builtInVariants, loadVariant, VariantError } from '../../eval/variants.ts';
import demoCatalog from '../../examples/demo/catalog.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSuiteAgents, SuiteAgentsError } from '../../eval/suite-agents.ts';
import { agentsOf } from '../../eval/run-eval.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const line = (c: object) => JSON.stringify(c);
const ok = { id: 'a', agent: 'support', task: 'What is the refund fee?', expect: { contains: ['10%'] } };

function suiteError(text: string): SuiteError {
  try {
    parseSuite(text, 's.jsonl');
  } catch (err) {
    if (err instanceof SuiteError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

describe('parseSuite', () => {
  it('parses cases, skipping blank and // lines, with defaults', () => {
    const cases = parseSuite(`// a comment\n\n${line(ok)}\n${line({ ...ok, id: 'b', task: 'other' })}\n`);
    expect(cases.map((c) => c.id)).toEqual(['a', 'b']);
    expect(cases[0]!.onEscalation).toBe('end');
    expect(cases[0]!.tags).toEqual([]);
  });

  it('names the line and the field of a bad case', () => {
    const e = suiteError(`${line(ok)}\n${line({ ...ok, id: 'b', task: 'x', expect: { contains: 'not a list' } })}`);
    expect(e.line).toBe(2);
    expect(e.field).toBe('expect.contains');
    expect(e.message).toMatch(/^s\.jsonl:2: expect\.contains: /);
  });

  it('refuses invalid JSON, unknown keys, no expectation, bad regex, duplicates', () => {
    expect(suiteError('{not json').field).toBe('(line)');
    expect(suiteError(line({ ...ok, expct: {} })).message).toMatch(/expct/);
    expect(suiteError(line({ ...ok, expect: {} })).field).toBe('expect');
    expect(suiteError(line({ ...ok, expect: { regex: '(' } })).field).toBe('expect.regex');
    const dupId = suiteError(`${line(ok)}\n${line({ ...ok, task: 'another' })}`);
    expect([dupId.line, dupId.field]).toEqual([2, 'id']);
    const dupTask = suiteError(`${line(ok)}\n${line({ ...ok, id: 'b' })}`);
    expect([dupTask.line, dupTask.field]).toEqual([2, 'task']);
    expect(suiteError('\n\n').field).toBe('(suite)');
    expect(suiteError(line({ ...ok, approvals: 'maybe' })).field).toBe('approvals');
    expect(suiteError(line({ ...ok, principal: { scope: ['x'] } })).field).toBe('principal');
  });

  it('the shipped suite parses, has at least 30 cases, and its script covers every case', () => {
    const cases = parseSuite(readFileSync('eval/suites/support.jsonl', 'utf8'), 'support.jsonl');
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const script = loadProviderScript('eval/suites/support.script.json');
    expect(() => checkScriptCovers(script, cases, 'support.script.json')).not.toThrow();
    expect(() => checkScriptCovers(script, cases.slice(1), 'x')).toThrow(/scripts for cases the suite does not have/);
    for (const tag of ['approval', 'no-approval', 'covered', 'not-covered', 'extract', 'policy'])
      expect(cases.some((c) => c.tags.includes(tag))).toBe(true);
  });
});

describe('scriptedHandler', () => {
  const cases = parseSuite(
    `${line(ok)}\n${line({ ...ok, id: 'b', task: 'What is the refund fee? And shipping?', expect: { contains: ['x'] } })}`,
  );
  const script = {
    tiers: { strong: 'big', cheap: 'small' },
    cases: {
      a: {
        turns: [{ kind: 'text' as const, text: 'A0' }],
        cheap: { '0': { kind: 'text' as const, text: 'a0 cheap' } },
      },
      b: {
        turns: [
          { kind: 'text' as const, text: 'B0' },
          { kind: 'text' as const, text: 'B1' },
        ],
      },
    },
  };
  const handler = scriptedHandler(script, cases);
  const ask = (model: string, messages: object[]) =>
    handler({ at: 0, method: 'POST', path: '/v1/chat/completions', headers: {}, body: { model, messages } }, 0);

  it('answers per case, per turn and per tier', async () => {
    const sys = { role: 'system', content: 'You are support.' };
    expect(await ask('big', [sys, { role: 'user', content: 'What is the refund fee?' }])).toEqual({
      kind: 'text',
      text: 'A0',
    });
    expect(await ask('small', [sys, { role: 'user', content: 'What is the refund fee?' }])).toEqual({
      kind: 'text',
      text: 'a0 cheap',
    });
    // The longer task wins although it contains the shorter one.
    const b = [sys, { role: 'user', content: 'What is the refund fee? And shipping?' }];
    expect(await ask('small', b)).toEqual({ kind: 'text', text: 'B0' });
    expect(await ask('big', [...b, { role: 'assistant', content: 'B0' }, { role: 'user', content: 'more' }])).toEqual({
      kind: 'text',
      text: 'B1',
    });
    expect(await ask('big', [sys, { role: 'user', content: 'unknown' }])).toMatchObject({ kind: 'error', status: 400 });
  });

  it('answers only from what the request holds when the case says what it needs', async () => {
    const rag = parseSuite(line({ ...ok, id: 'r', task: 'How long is a return label valid?' }));
    const h = scriptedHandler(
      {
        tiers: script.tiers,
        cases: { r: { needs: ['valid for 14 days'], turns: [{ kind: 'text', text: '14 days.' }] } },
      },
      rag,
    );
    const send = (content: string) =>
      h(
        {
          at: 0,
          method: 'POST',
          path: '/v1/chat/completions',
          headers: {},
          body: { model: 'big', messages: [{ role: 'user', content }] },
        },
        0,
      );
    // Whitespace aside: a passage broken over lines still counts.
    expect(
      await send('<document>Each label is\nvalid for  14 days.</document>\n\nHow long is a return label valid?'),
    ).toEqual({
      kind: 'text',
      text: '14 days.',
    });
    expect(
      await send('<document>Labels cover one parcel.</document>\n\nHow long is a return label valid?'),
    ).toMatchObject({
      kind: 'text',
      text: expect.stringMatching(/do not cover this/),
    });
  });

  it('answers a classification by the one rule of the script (task and latest turn), or by the own reply of a case', async () => {
    const sys = { role: 'system', content: STEP_CLASSIFIER_INSTRUCTIONS };
    const classify = (task: string, turn: Message[]) => [
      sys,
      { role: 'user', content: classifierInput(task, turn, 2000) },
    ];
    const calc: Message[] = [
      { role: 'tool', results: [{ callId: 'c', name: 'calculator', content: '33.12', isError: false }] },
    ];
    const search: Message[] = [
      { role: 'tool', results: [{ callId: 'c', name: 'search_docs', content: 'fees…', isError: false }] },
    ];
    const ruled = scriptedHandler(
      {
        ...script,
        classifier: {
          plan: '\\b(fee|how much)\\b',
          after: '(^|\\n)calculator: ',
          ambiguous: '\\b(whether|either)\\b',
          parts: '\\b(look up|check|tell)\\b',
          partsAtLeast: 2,
          flags: 'i',
        },
      },
      cases,
    );
    const choice = async (messages: object[], h = ruled) => {
      const r = await h(
        { at: 0, method: 'POST', path: '/v1/chat/completions', headers: {}, body: { model: 'small', messages } },
        0,
      );
      return r.kind === 'text' ? (JSON.parse(r.text) as { choice: string }).choice : r;
    };
    expect(await choice(classify('What is the refund fee? And shipping?', calc))).toBe('plan');
    expect(await choice(classify('What is the refund fee? And shipping?', search))).toBe('act');
    expect(await choice(classify('Look up ord_100.', calc))).toBe('act');
    // The first step (nothing done yet): one clear request acts; several parts or an
    // ambiguous task plan — and an ambiguous task keeps planning after it.
    expect(await choice(classify('Look up ord_100.', []))).toBe('act');
    expect(await choice(classify('Look up ord_100, check the warranty and tell me.', []))).toBe('plan');
    expect(await choice(classify('Is either item of ord_100 under warranty?', []))).toBe('plan');
    expect(await choice(classify('Is either item of ord_100 under warranty?', search))).toBe('plan');
    expect(await choice(classify('Look up ord_100, check the warranty and tell me.', search))).toBe('act');
    // Without a rule the fake refuses (the engine then falls back to position).
    expect(await choice(classify('Look up ord_100.', calc), handler)).toMatchObject({ kind: 'error', status: 400 });
    // A case's own reply wins, e.g. an invalid one.
    const own = scriptedHandler(
      {
        ...script,
        classifier: { plan: 'fee', partsAtLeast: 2, flags: 'i' },
        cases: { ...script.cases, a: { ...script.cases.a, classify: 'hm' } },
      },
      cases,
    );
    expect(
      await own(
        {
          at: 0,
          method: 'POST',
          path: '/v1/chat/completions',
          headers: {},
          body: { model: 'small', messages: classify('What is the refund fee?', calc) },
        },
        0,
      ),
    ).toEqual({ kind: 'text', text: 'hm' });
  });
});

describe('variants', () => {
  const support = demoCatalog.agent('support')!;

  it('naive: the strong model for every call, no summaries; routed: a two-tier table', () => {
    const v = builtInVariants();
    const naive = applyVariant(support, v.naive!);
    expect(naive.model).toEqual({ provider: 'openai', name: 'gpt-4.1' });
    expect(naive.routing).toBeUndefined();
    expect(naive.summarizeHistory).toBe(false);
    const routed = applyVariant(support, v.routed!);
    expect(routed.model).toBeUndefined();
    expect(routed.routing?.tiers.cheap?.chain[0]?.name).toBe('gpt-4.1-mini');
    expect(routed.tools).toEqual(support.tools);
    expect(applyVariant(support, v['as-defined']!)).toEqual(support);
    // The classifier variant is routed with the step classifier on.
    expect(applyVariant(support, v['routed-classified']!).stepClassifier).toMatchObject({ enabled: true });
    expect(routed.stepClassifier).toBeUndefined();
  });

  it('naive sends every retrieved chunk to agents that retrieve, and leaves the others alone', () => {
    const [handbook] = loadSuiteAgents('eval/suites/support.agents.json');
    expect(handbook!.retrieval?.k).toBe(3);
    const naive = builtInVariants().naive!;
    expect(applyVariant(handbook!, naive).retrieval).toMatchObject({ k: 20, onWeak: 'degrade' });
    expect(applyVariant(support, naive).retrieval).toBeUndefined();
  });

  it('suite agents: checked definitions, unique, never shadowing the catalog', () => {
    const dir = tempDir('suite-agents-');
    const write = (name: string, body: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(body));
      return f;
    };
    const agent = { name: 'x', instructions: 'Answer.', model: { provider: 'openai', name: 'gpt-4.1-mini' } };
    expect(loadSuiteAgents(write('ok.json', [agent]))[0]!.maxSteps).toBe(10);
    expect(() => loadSuiteAgents(write('dup.json', [agent, agent]))).toThrow(/two agents are named "x"/);
    expect(() => loadSuiteAgents(write('bad.json', [{ ...agent, tools: 'calculator' }]))).toThrow(SuiteAgentsError);
    const cases = parseSuite(line({ ...ok, agent: 'x' }));
    expect(agentsOf(cases, demoCatalog, [agent as never]).get('x')).toBe(agent);
    expect(() => agentsOf(cases, demoCatalog)).toThrow(/do not define|does not define/);
    expect(() => agentsOf(cases, demoCatalog, [{ ...agent, name: 'support' } as never])).toThrow(
      /the catalog defines too: support/,
    );
  });

  it('refuses unknown names and bad files, naming them', () => {
    expect(() => loadVariant('fancy')).toThrow(VariantError);
    expect(() => loadVariant('missing.json')).toThrow(/missing\.json/);
  });
});
