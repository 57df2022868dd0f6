import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { outputContract } from '../../core/output-contract.ts';
import { checkOutput, outputContractSchema, repairPrompt } from '../../core/output.ts';

const refund = z.object({
  approve: z.boolean(),
  amountCents: z.number().int().nonnegative(),
  currency: z.enum(['EUR', 'USD']),
  reason: z.string().min(3),
  customer: z.object({ id: z.string().min(1), tier: z.enum(['free', 'pro']).optional() }),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).min(1),
  note: z.string().optional(),
  ref: z.string().nullable(),
  priority: z.enum(['low', 'normal', 'high']).default('normal'),
});

/** What the workflow carries: the client's contract after the run-input schema applied defaults. */
const contract = outputContractSchema.parse(outputContract('refund_decision', refund));

const valid = {
  approve: true,
  amountCents: 1250,
  currency: 'EUR',
  reason: 'arrived damaged',
  customer: { id: 'c-17' },
  lines: [{ sku: 'A-1', qty: 2 }],
  ref: null,
};

const check = (value: unknown) => checkOutput(contract, JSON.stringify(value));

describe('an output contract made from a zod schema', () => {
  const table: [string, unknown][] = [
    ['the minimal valid answer', valid],
    ['an optional field present', { ...valid, note: 'refund to card' }],
    ['an optional nested enum present', { ...valid, customer: { id: 'c-17', tier: 'pro' } }],
    ['a nullable field with a value', { ...valid, ref: 'R-9' }],
    ['a defaulted field given', { ...valid, priority: 'high' }],
    ['zero, the lowest allowed integer', { ...valid, amountCents: 0 }],
    [
      'several array items',
      {
        ...valid,
        lines: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 3 },
        ],
      },
    ],
    ['a fractional integer', { ...valid, amountCents: 12.5 }],
    ['a negative integer', { ...valid, amountCents: -1 }],
    ['a number as a string', { ...valid, amountCents: '1250' }],
    ['a value outside the enum', { ...valid, currency: 'GBP' }],
    ['a string below its min length', { ...valid, reason: 'ok' }],
    ['a boolean as a string', { ...valid, approve: 'yes' }],
    ['a nested object missing its required field', { ...valid, customer: {} }],
    ['a nested string below its min length', { ...valid, customer: { id: '' } }],
    ['a nested enum outside its values', { ...valid, customer: { id: 'c-17', tier: 'gold' } }],
    ['an empty array below its min items', { ...valid, lines: [] }],
    ['an array item with a bad integer', { ...valid, lines: [{ sku: 'A', qty: 0 }] }],
    ['an array that is not an array', { ...valid, lines: { sku: 'A', qty: 1 } }],
    ['null for an optional (not nullable) field', { ...valid, note: null }],
    ['a missing nullable field', { ...valid, ref: undefined }],
    ['a missing required field', { ...valid, approve: undefined }],
    ['an array instead of the object', [valid]],
    ['a bare string', 'approve'],
    ['null', null],
  ];

  it.each(table)('accepts or rejects %s exactly as the zod schema does', (_label, value) => {
    const original = refund.safeParse(value);
    const result = check(value);
    expect(result.ok).toBe(original.success);
    if (result.ok && original.success) expect(result.value).toEqual(original.data);
  });

  it('fills a defaulted field the answer left out, as the zod schema does', () => {
    expect(check(valid)).toEqual({ ok: true, value: { ...valid, priority: 'normal' } });
  });

  it('rejects keys the schema does not declare (the JSON Schema says additionalProperties: false)', () => {
    expect(contract.schema.additionalProperties).toBe(false);
    expect(check({ ...valid, extra: 1 })).toEqual({ ok: false, issues: ['(output): Unrecognized key: "extra"'] });
  });

  it('words issues as path: message, joining nested paths and array indexes with dots', () => {
    expect(
      check({ ...valid, amountCents: 12.5, customer: { id: 'c-17', tier: 'gold' }, lines: [{ sku: 'A', qty: 0 }] }),
    ).toEqual({
      ok: false,
      issues: [
        'amountCents: Invalid input: expected int, received number',
        'customer.tier: Invalid option: expected one of "free"|"pro"',
        'lines.0.qty: Too small: expected number to be >=1',
      ],
    });
    expect(check({ ...valid, reason: 'ok' })).toEqual({
      ok: false,
      issues: ['reason: Too small: expected string to have >=3 characters'],
    });
  });

  it('puts an issue with the whole answer at (output)', () => {
    expect(check([valid])).toEqual({ ok: false, issues: ['(output): Invalid input: expected object, received array'] });
    const list = outputContract('tags', z.array(z.string()));
    expect(checkOutput({ name: list.name, schema: list.schema }, '{}')).toEqual({
      ok: false,
      issues: ['(output): Invalid input: expected array, received object'],
    });
  });

  it('reports at most 10 issues', () => {
    const wide = outputContract(
      'wide',
      z.object(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, z.string()]))),
    );
    const result = checkOutput({ name: wide.name, schema: wide.schema }, '{}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(10);
    expect(result.issues).toEqual(
      Array.from({ length: 10 }, (_, i) => `f${i}: Invalid input: expected string, received undefined`),
    );
  });

  it('does not confuse two contracts with the same name and different schemas', () => {
    const a = outputContract('answer', z.object({ n: z.number() }));
    const b = outputContract('answer', z.object({ n: z.string() }));
    expect(checkOutput({ name: a.name, schema: a.schema }, '{"n":1}').ok).toBe(true);
    expect(checkOutput({ name: b.name, schema: b.schema }, '{"n":1}').ok).toBe(false);
    expect(checkOutput({ name: b.name, schema: b.schema }, '{"n":"1"}').ok).toBe(true);
    expect(checkOutput({ name: a.name, schema: a.schema }, '{"n":"1"}').ok).toBe(false);
  });
});

describe('checkOutput on text that is not bare JSON', () => {
  const notJson = {
    ok: false,
    issues: ['(output): not valid JSON. Answer with a single JSON value and nothing else.'],
  };

  it('tolerates a markdown json fence', () => {
    const json = JSON.stringify(valid, null, 2);
    for (const text of [
      `\`\`\`json\n${json}\n\`\`\``,
      `\`\`\`\n${json}\n\`\`\``,
      `  \`\`\`json\n${json}\`\`\`\n`,
      `\`\`\`json\n${JSON.stringify(valid)}\n\`\`\`\n\n`,
    ]) {
      expect(checkOutput(contract, text), text).toEqual({ ok: true, value: { ...valid, priority: 'normal' } });
    }
  });

  it('tolerates surrounding whitespace without a fence', () => {
    expect(checkOutput(contract, `\n  ${JSON.stringify(valid)}  \n`).ok).toBe(true);
  });

  it('still validates what is inside the fence', () => {
    expect(checkOutput(contract, `\`\`\`json\n${JSON.stringify({ ...valid, currency: 'GBP' })}\n\`\`\``)).toEqual({
      ok: false,
      issues: ['currency: Invalid option: expected one of "EUR"|"USD"'],
    });
  });

  it('says the answer is not valid JSON when it is not', () => {
    for (const text of [
      '',
      'approve: yes',
      '{ approve: true }',
      '{"approve": true',
      'Sure! Here is the JSON: {"approve": true}',
    ]) {
      expect(checkOutput(contract, text), text).toEqual(notJson);
    }
  });

  it('does not dig JSON out of prose around a fence', () => {
    expect(checkOutput(contract, `Here you go:\n\`\`\`json\n${JSON.stringify(valid)}\n\`\`\``)).toEqual(notJson);
  });
});

describe('repairPrompt', () => {
  it('names the contract, lists each issue on its own line and asks for only the JSON', () => {
    expect(repairPrompt('refund_decision', ['reason: Too small', 'currency: Invalid option'])).toBe(
      'Your answer does not match the required "refund_decision" format:\n' +
        '- reason: Too small\n' +
        '- currency: Invalid option\n' +
        'Reply again with only the corrected JSON.',
    );
  });

  it('carries the issues checkOutput found', () => {
    const result = check({ ...valid, reason: 'ok' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(repairPrompt(contract.name, result.issues)).toContain(
      '\n- reason: Too small: expected string to have >=3 characters\n',
    );
  });
});

describe('outputContract', () => {
  it('carries the name and the JSON Schema, without $schema', () => {
    const c = outputContract('refund_decision', refund);
    expect(z.toJSONSchema(refund, { target: 'draft-2020-12', io: 'output' }).$schema).toBeDefined();
    expect(c.name).toBe('refund_decision');
    expect(c.schema).not.toHaveProperty('$schema');
    expect(c.schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(c.schema.required).toEqual([
      'approve',
      'amountCents',
      'currency',
      'reason',
      'customer',
      'lines',
      'ref',
      'priority',
    ]);
  });

  it('leaves repairs and escalation unset unless given', () => {
    const c = outputContract('refund_decision', refund);
    expect(c).not.toHaveProperty('maxRepairs');
    expect(c).not.toHaveProperty('escalateToStrongModel');
  });

  it('keeps maxRepairs and escalateToStrongModel when given', () => {
    expect(outputContract('refund_decision', refund, { maxRepairs: 0, escalateToStrongModel: false })).toMatchObject({
      maxRepairs: 0,
      escalateToStrongModel: false,
    });
    expect(outputContractSchema.parse(outputContract('refund_decision', refund, { maxRepairs: 5 }))).toMatchObject({
      maxRepairs: 5,
      escalateToStrongModel: true,
    });
  });

  it('gets 2 repairs and a strong-model try by default through outputContractSchema', () => {
    expect(contract).toEqual({
      name: 'refund_decision',
      schema: outputContract('refund_decision', refund).schema,
      maxRepairs: 2,
      escalateToStrongModel: true,
    });
  });

  it('is rejected by outputContractSchema with a name a provider would refuse or too many repairs', () => {
    expect(outputContractSchema.safeParse(outputContract('refund decision', refund)).success).toBe(false);
    expect(outputContractSchema.safeParse(outputContract('x'.repeat(65), refund)).success).toBe(false);
    expect(outputContractSchema.safeParse(outputContract('refund_decision', refund, { maxRepairs: 6 })).success).toBe(
      false,
    );
    expect(outputContractSchema.safeParse(outputContract('refund_decision', refund, { maxRepairs: -1 })).success).toBe(
      false,
    );
  });

  it('survives a JSON round trip, as it must to travel in a workflow input', () => {
    const travelled = JSON.parse(JSON.stringify(contract)) as typeof contract;
    expect(travelled).toEqual(contract);
    expect(checkOutput(travelled, JSON.stringify({ ...valid, amountCents: -1 })).ok).toBe(false);
    expect(checkOutput(travelled, JSON.stringify(valid)).ok).toBe(true);
  });
});
