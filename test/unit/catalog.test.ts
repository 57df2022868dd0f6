import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CatalogError, defineAgent, defineCatalog, isCatalog } from '../../tools/catalog.ts';
import { defineTool, ToolDefinitionError } from '../../tools/define-tool.ts';
import { toolFingerprint, toolsetFingerprint } from '../../tools/fingerprint.ts';

const model = { provider: 'openai', name: 'gpt-4.1-mini' } as const;
const eta = defineTool({
  name: 'shipping_eta',
  description: 'When an order arrives.',
  input: z.object({ orderId: z.string() }),
  effect: 'read',
});

describe('defineTool refuses what could not work, naming the tool and the fix', () => {
  const define =
    (input: z.ZodType, extra: object = {}) =>
    () =>
      defineTool({ name: 'bad_tool', description: 'd', input, effect: 'read', ...extra });

  it('refuses a transform, a date and a non-object root', () => {
    expect(define(z.object({ n: z.string().transform((s) => s.length) }))).toThrow(
      /tool "bad_tool": its input schema cannot become the JSON Schema.*Transforms/,
    );
    expect(define(z.object({ at: z.date() }))).toThrow(
      /tool "bad_tool": its input schema cannot become the JSON Schema.*Date/,
    );
    expect(define(z.string())).toThrow(/tool "bad_tool": its input must be a z.object\(\.\.\.\).*not string/);
    expect(define(z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]))).toThrow(ToolDefinitionError);
  });

  it('refuses an async approval policy or constraint (they run in the workflow sandbox)', () => {
    const policy = async () => 'allow' as const;
    expect(define(z.object({}), { approval: policy })).toThrow(/approval must be a synchronous, pure function/);
    expect(define(z.object({}), { constraints: async () => undefined })).toThrow(
      /constraints must be a synchronous, pure function/,
    );
  });

  it('accepts defaults and optional fields', () => {
    expect(() => define(z.object({ n: z.number().default(3), note: z.string().optional() }))()).not.toThrow();
  });
});

describe('defineCatalog', () => {
  it('serves the built-in tools beside the user ones and finds agents by name', () => {
    const refunds = defineAgent({ name: 'refunds', instructions: 'Help.', model, tools: [eta, 'calculator'] });
    const catalog = defineCatalog({ tools: [eta], agents: [refunds] });
    expect(isCatalog(catalog)).toBe(true);
    expect(catalog.toolNames()).toEqual(['calculator', 'search_docs', 'read_doc', 'shipping_eta']);
    expect(catalog.agent('refunds')).toMatchObject({
      name: 'refunds',
      tools: ['shipping_eta', 'calculator'],
      maxSteps: 10,
    });
    expect(catalog.agent('nobody')).toBeUndefined();
  });

  it('refuses two tools with one name, or a tool named like a built-in', () => {
    const twin = defineTool({ name: 'shipping_eta', description: 'Another.', input: z.object({}), effect: 'read' });
    expect(() => defineCatalog({ tools: [eta, twin] })).toThrow(
      new CatalogError('two tools are named "shipping_eta"; tool names must be unique'),
    );
    const calc = defineTool({ name: 'calculator', description: 'Mine.', input: z.object({}), effect: 'read' });
    expect(() => defineCatalog({ tools: [calc] })).toThrow(
      /tool "calculator" has the name of a built-in tool; rename it/,
    );
  });

  it('refuses an agent naming a tool the catalog does not serve, listing what it serves', () => {
    const lost = { name: 'lost', instructions: 'x', model, tools: ['shipping_eta', 'teleport'] };
    expect(() => defineCatalog({ tools: [eta], agents: [lost] })).toThrow(
      'agent "lost" names "teleport", which this catalog does not serve (served: calculator, search_docs, read_doc, shipping_eta)',
    );
  });

  it('refuses an invalid agent at definition, with the issue path', () => {
    expect(() => defineAgent({ name: 'x', instructions: 'y', model, maxSteps: 0 })).toThrow(
      /agent "x": maxSteps: Too small/,
    );
    expect(() =>
      defineCatalog({
        agents: [
          { name: 'a', instructions: 'x', model },
          { name: 'a', instructions: 'y', model },
        ],
      }),
    ).toThrow('two agents are named "a"; agent names must be unique');
  });
});

describe('tool fingerprints', () => {
  it('are stable for the same contract and change with anything that changes how a call is offered or authorized', () => {
    const v1 = toolFingerprint(eta);
    expect(v1).toMatch(/^[0-9a-f]{16}$/);
    expect(
      toolFingerprint(
        defineTool({
          name: 'shipping_eta',
          description: 'When an order arrives.',
          input: z.object({ orderId: z.string() }),
          effect: 'read',
        }),
      ),
    ).toBe(v1);
    const variants = [
      { description: 'When an order ships.' },
      { input: z.object({ orderId: z.string(), carrier: z.string().optional() }) },
      { effect: 'idempotent' as const },
      { scopes: ['orders:read'] },
      {
        approval: ({ input }: { input: { orderId: string } }) =>
          input.orderId.startsWith('vip') ? ('ask' as const) : ('allow' as const),
      },
      { constraints: () => 'never on Sundays' },
      { version: '2' },
    ];
    const prints = variants.map((v) =>
      toolFingerprint(
        defineTool({
          name: 'shipping_eta',
          description: 'When an order arrives.',
          input: z.object({ orderId: z.string() }),
          effect: 'read',
          ...v,
        }),
      ),
    );
    expect(new Set([v1, ...prints]).size).toBe(variants.length + 1);
  });

  it('a set has one version, whatever the order of its tools', () => {
    expect(toolsetFingerprint({ a: '1', b: '2' })).toBe(toolsetFingerprint({ b: '2', a: '1' }));
    expect(toolsetFingerprint({ a: '1', b: '2' })).not.toBe(toolsetFingerprint({ a: '1', b: '3' }));
  });
});
