import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../../workflows/definitions.ts';
import { createSearchAttributesCommand, MissingSearchAttributesError } from '../../worker/server-check.ts';

const operability = readFileSync(new URL('../../docs/operability.md', import.meta.url), 'utf8');
const cliType = { KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double' } as Record<string, string>;

describe('search attributes: one list', () => {
  it('docs/operability.md documents exactly the attributes the runs write, with their types', () => {
    const rows = [...operability.matchAll(/^\| `(Bosun\w+)` \| (\w+) \|/gm)].map(([, name, type]) => `${name} ${type}`);
    expect(rows).toEqual(Object.values(searchAttributes).map((k) => `${k.name} ${cliType[k.type as string]}`));
  });

  it('no other doc keeps a list of its own', () => {
    for (const doc of ['tools-and-approvals.md', 'architecture.md']) {
      const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
      expect(text, doc).not.toMatch(/search-attribute create/);
    }
  });

  it('names what is missing and one command that adds it, each name with its type', () => {
    const missing = [searchAttributes.tokens, searchAttributes.costUsd];
    const err = new MissingSearchAttributesError({ namespace: 'prod', address: 'temporal:7233' }, missing);
    expect(err.missing).toEqual([
      { name: 'BosunTokens', type: 'Int' },
      { name: 'BosunCostUsd', type: 'Double' },
    ]);
    expect(err.command).toBe(
      'temporal operator search-attribute create --address temporal:7233 --namespace prod --name BosunTokens --type Int --name BosunCostUsd --type Double',
    );
    expect(err.message).toBe(
      `namespace "prod" lacks 2 search attributes Bosun's runs write: BosunTokens, BosunCostUsd. Runs would hang on it, so the worker does not start. Register them once (needs operator rights):\n  ${err.command}`,
    );
    expect(createSearchAttributesCommand({ namespace: 'default' }, [searchAttributes.status])).toBe(
      'temporal operator search-attribute create --namespace default --name BosunStatus --type Keyword',
    );
  });
});
