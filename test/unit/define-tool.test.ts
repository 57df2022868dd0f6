import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { capResult, checkToolInput, defineTool, toolSpec } from '../../tools/define-tool.ts';
import { calculator } from '../../tools/contracts/calculator.ts';
import { readDoc, searchDocs } from '../../tools/contracts/search-docs.ts';

const refundOrder = defineTool({
  name: 'refund_order',
  description: 'Refund a paid order. Irreversible.',
  input: z.object({
    orderId: z.string().describe('Order id, e.g. "ord_123"'),
    amountCents: z.number().int().positive(),
    reason: z.string().default('customer request'),
  }),
  effect: 'side-effect',
  scopes: ['orders:write'],
});

describe('defineTool', () => {
  it('accepts names providers accept: letters, digits, _ and -, up to 64', () => {
    for (const name of ['calculator', 'search_docs', 'read-doc', 'T2', 'a'.repeat(64)]) {
      expect(defineTool({ name, description: 'd', input: z.object({}), effect: 'read' }).name).toBe(name);
    }
  });

  it('rejects names providers would refuse, saying which name and why', () => {
    for (const name of ['', 'search docs', 'search.docs', 'tool/x', 'émoji', 'a'.repeat(65)]) {
      const define = () => defineTool({ name, description: 'd', input: z.object({}), effect: 'read' });
      expect(define).toThrow(TypeError);
      expect(define).toThrow(
        `tool ${JSON.stringify(name)}: the name must match /^[a-zA-Z0-9_-]{1,64}$/ (the providers' limit), e.g. "shipping_eta"`,
      );
    }
  });

  it('fills defaults (no scopes, 8000-character results) and freezes the contract', () => {
    const t = defineTool({ name: 'ping', description: 'd', input: z.object({}), effect: 'read' });
    expect(t.scopes).toEqual([]);
    expect(t.maxResultChars).toBe(8_000);
    expect(t.timeoutMs).toBeUndefined();
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.scopes)).toBe(true);
  });

  it('keeps its own copy of the scopes it was given', () => {
    const scopes = ['orders:read'];
    const t = defineTool({ name: 'lookup', description: 'd', input: z.object({}), effect: 'read', scopes });
    scopes.push('orders:write');
    expect(t.scopes).toEqual(['orders:read']);
  });
});

describe('toolSpec', () => {
  it('describes the input as a JSON Schema object without $schema', () => {
    const spec = toolSpec(refundOrder);
    expect(spec.name).toBe('refund_order');
    expect(spec.description).toBe('Refund a paid order. Irreversible.');
    expect(spec.inputSchema).not.toHaveProperty('$schema');
    expect(spec.inputSchema).toMatchObject({
      type: 'object',
      properties: {
        orderId: { type: 'string', description: 'Order id, e.g. "ord_123"' },
        amountCents: { type: 'integer', exclusiveMinimum: 0 },
        reason: { type: 'string', default: 'customer request' },
      },
    });
    expect(spec.inputSchema.required).toEqual(expect.arrayContaining(['orderId', 'amountCents']));
  });

  it('serialises every shipped tool to plain JSON', () => {
    for (const t of [calculator, searchDocs, readDoc]) {
      const spec = toolSpec(t);
      expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
      expect(spec.inputSchema.type).toBe('object');
    }
  });

  // Known bug in tools/define-tool.ts: the schema is generated for zod's *output* type, so a
  // field with a default (search_docs `limit`) is listed as required and the model must always
  // send it. Fix: `z.toJSONSchema(contract.input, { target: 'draft-7', io: 'input' })`.
  // Remove `.fails` once that lands.
  it('leaves fields with a default out of required, so the model may omit them', () => {
    expect(toolSpec(refundOrder).inputSchema.required).toEqual(['orderId', 'amountCents']);
    expect(toolSpec(searchDocs).inputSchema.required).toEqual(['query']);
  });
});

describe('checkToolInput', () => {
  it('returns the parsed value with defaults applied', () => {
    expect(checkToolInput(refundOrder, { orderId: 'ord_1', amountCents: 1840 })).toEqual({
      ok: true,
      value: { orderId: 'ord_1', amountCents: 1840, reason: 'customer request' },
    });
    expect(checkToolInput(searchDocs, { query: 'refund' })).toEqual({ ok: true, value: { query: 'refund', limit: 3 } });
  });

  it('names each bad field and tells the model to fix the call', () => {
    const check = checkToolInput(refundOrder, { orderId: 7, amountCents: -5 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.message).toMatch(/^Invalid arguments for tool "refund_order": /);
    expect(check.message).toMatch(/orderId: [^;]*expected string/);
    expect(check.message).toMatch(/amountCents: [^;]*>0/);
    expect(check.message).toMatch(/Fix the arguments and call it again\.$/);
  });

  it('rejects a raw JSON string instead of an object, pointing at the whole input', () => {
    const check = checkToolInput(refundOrder, '{"orderId":"ord_1","amountCents":1840}');
    expect(check).toEqual({
      ok: false,
      message: expect.stringContaining('(input): Invalid input: expected object, received string'),
    });
  });

  it('reports at most five issues so the message stays short', () => {
    const wide = defineTool({
      name: 'wide',
      description: 'd',
      input: z.object(Object.fromEntries('abcdefg'.split('').map((k) => [k, z.string()]))),
      effect: 'read',
    });
    const check = checkToolInput(wide, {});
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.message.match(/expected string/g)).toHaveLength(5);
  });
});

describe('capResult', () => {
  it('leaves text within the cap untouched', () => {
    expect(capResult('hello', 5)).toEqual({ content: 'hello', truncated: false });
    expect(capResult('', 0)).toEqual({ content: '', truncated: false });
  });

  it('cuts longer text to exactly the cap, ending in a marker that says so', () => {
    const text = 'x'.repeat(1_000);
    const { content, truncated } = capResult(text, 200);
    expect(truncated).toBe(true);
    expect(content).toHaveLength(200);
    expect(content).toMatch(/^x+\n\[truncated: \d+ of 1000 characters omitted\]$/);
  });

  it('keeps the start of the text', () => {
    const text = 'The answer is 42. ' + 'filler '.repeat(100);
    expect(capResult(text, 80).content.startsWith('The answer is 42.')).toBe(true);
  });

  // Known bugs in tools/define-tool.ts `capResult`: the marker counts `text.length - maxChars`
  // as omitted, but the marker itself displaces kept text, so it under-reports; and a cap
  // shorter than the marker returns the whole marker, longer than the cap. Remove `.fails`
  // once fixed.
  it('reports how many characters were actually omitted', () => {
    const text = 'x'.repeat(1_000);
    const { content } = capResult(text, 200);
    const kept = content.indexOf('\n');
    expect(content).toContain(`[truncated: ${1_000 - kept} of 1000 characters omitted]`);
  });

  it('never exceeds the cap, even one shorter than the marker', () => {
    expect(capResult('x'.repeat(1_000), 10).content.length).toBeLessThanOrEqual(10);
  });
});
