import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import {
  contextSections,
  contextPolicies,
  type ContextRecord,
  type ContextSection,
  type SectionRecord,
} from './context.ts';

/**
 * The context record as a `callModel` result carries it in history: lossless, a few dozen
 * bytes instead of ~650. Every call of a run writes one, and most of a record repeats from
 * call to call (the tokenizer, the window, the stable prefix and its sections) or follows
 * from the rest (totals, the budget, the prefix share, a section's defaults).
 *
 * - The *base* is what repeats: the fixed sections (system, tools, pinned, task), the
 *   window, the output reserve, the tokenizer and the stable prefix's hash. Its `key` is a
 *   hash of it. A call's input names the key of the base the workflow already holds
 *   (`CallModelInput.contextBase`); when the call's base has that key, the result leaves the
 *   base out and the workflow takes it from the call it came with — so the expansion
 *   depends on history alone and replays the same.
 * - Derived fields are left out (`totalTokens`, `budgetTokens`, `overBudgetTokens`,
 *   `stablePrefixTokens`, `stablePrefixShare`), and so is every section field equal to its
 *   default (its section's policy, `kept` = `items − dropped`, zero counts, `summarized:
 *   false`).
 * - `packContextRecord` checks its own work: when expanding the packed form would not give
 *   back the record exactly (same values, same key order), it returns `undefined` and the
 *   caller sends the record whole.
 *
 * Pure and sandbox-safe: the activity packs, the workflow expands.
 */

/** A section with its defaults left out. */
export const packedSectionSchema = z.object({
  policy: z.enum(contextPolicies).optional(),
  tokens: z.number().int().nonnegative(),
  items: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative().optional(),
  truncated: z.number().int().nonnegative().optional(),
  dropped: z.number().int().nonnegative().optional(),
  omittedTokens: z.number().int().nonnegative().optional(),
  ids: z.object({ kept: z.array(z.string()), dropped: z.array(z.string()) }).optional(),
  summarized: z.boolean().optional(),
});
export type PackedSection = z.infer<typeof packedSectionSchema>;

const packedSectionsSchema = z.partialRecord(z.enum(contextSections), packedSectionSchema);
type PackedSections = z.infer<typeof packedSectionsSchema>;

/** What repeats from call to call of a run. */
export const packedContextBaseSchema = z.object({
  sections: packedSectionsSchema,
  contextWindow: z.number().int().positive(),
  outputReserve: z.number().int().nonnegative(),
  tokenizer: z.object({ name: z.string(), exact: z.boolean() }),
  stablePrefixHash: z.string(),
});
export type PackedContextBase = z.infer<typeof packedContextBaseSchema>;

export const packedContextRecordSchema = z.object({
  /** The base's key (`contextBaseKey`). */
  key: z.string(),
  /** Left out when the call's input named `key`: the workflow holds it. */
  base: packedContextBaseSchema.optional(),
  /** The sections outside the base (retrieved, history, recent) that had anything. */
  sections: packedSectionsSchema,
});
export type PackedContextRecord = z.infer<typeof packedContextRecordSchema>;

/** The sections that go into the base: the same on every call of a run. */
const baseSections: ReadonlySet<ContextSection> = new Set(['system', 'tools', 'pinned', 'task']);

/** The policy each section is packed with (`packContext`). */
const defaultPolicy: Record<ContextSection, SectionRecord['policy']> = {
  system: 'keep',
  tools: 'keep',
  pinned: 'keep',
  task: 'keep',
  retrieved: 'drop-lowest-ranked',
  history: 'drop-oldest',
  recent: 'truncate-tool-results',
};
/** Sections whose record always says how many tokens truncation removed. */
const withOmitted: ReadonlySet<ContextSection> = new Set(['history', 'recent']);

function packSection(s: SectionRecord): PackedSection {
  const out: PackedSection = { tokens: s.tokens, items: s.items };
  if (s.policy !== defaultPolicy[s.section]) out.policy = s.policy;
  if (s.kept !== s.items - s.dropped) out.kept = s.kept;
  if (s.truncated !== 0) out.truncated = s.truncated;
  if (s.dropped !== 0) out.dropped = s.dropped;
  if (s.omittedTokens !== undefined && (s.omittedTokens !== 0 || !withOmitted.has(s.section)))
    out.omittedTokens = s.omittedTokens;
  if (s.ids !== undefined) out.ids = s.ids;
  if (s.summarized !== undefined && (s.summarized || s.section !== 'history')) out.summarized = s.summarized;
  return out;
}

/** A section record, fields in the order `packContext` writes them. */
function expandSection(section: ContextSection, p: PackedSection): SectionRecord {
  const dropped = p.dropped ?? 0;
  const omittedTokens = p.omittedTokens ?? (withOmitted.has(section) ? 0 : undefined);
  const summarized = p.summarized ?? (section === 'history' ? false : undefined);
  return {
    section,
    policy: p.policy ?? defaultPolicy[section],
    tokens: p.tokens,
    items: p.items,
    kept: p.kept ?? p.items - dropped,
    truncated: p.truncated ?? 0,
    dropped,
    ...(omittedTokens !== undefined ? { omittedTokens } : {}),
    ...(p.ids !== undefined ? { ids: p.ids } : {}),
    ...(summarized !== undefined ? { summarized } : {}),
  };
}

/** The key of a base: the first 16 hex digits of the SHA-256 of its JSON. */
export function contextBaseKey(base: PackedContextBase): string {
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(base)))).slice(0, 16);
}

/**
 * The packed form of `record`, leaving the base out when its key is `knownKey`; undefined
 * when the record does not come back exactly from its packed form (a record `packContext`
 * did not make: send it whole).
 */
export function packContextRecord(record: ContextRecord, knownKey?: string): PackedContextRecord | undefined {
  const base: PackedContextBase = {
    sections: {},
    contextWindow: record.contextWindow,
    outputReserve: record.outputReserve,
    tokenizer: { name: record.tokenizer.name, exact: record.tokenizer.exact },
    stablePrefixHash: record.stablePrefixHash,
  };
  const sections: PackedSections = {};
  for (const s of record.sections) {
    const into = baseSections.has(s.section) ? base.sections : sections;
    if (into[s.section] !== undefined) return undefined; // a section twice: not packContext's
    into[s.section] = packSection(s);
  }
  const key = contextBaseKey(base);
  const packed: PackedContextRecord = { key, ...(key === knownKey ? {} : { base }), sections };
  return JSON.stringify(expandContextRecord(packed, base)) === JSON.stringify(record) ? packed : undefined;
}

/**
 * The record `packed` stands for. `known` is the base of the call whose input named
 * `packed.key` (needed only when `packed` leaves its base out).
 */
export function expandContextRecord(packed: PackedContextRecord, known?: PackedContextBase): ContextRecord {
  const base = packed.base ?? known;
  if (!base) throw new Error(`context record: base ${packed.key} is neither in the result nor known`);
  const sections: SectionRecord[] = [];
  for (const name of contextSections) {
    const p = base.sections[name] ?? packed.sections[name];
    if (p) sections.push(expandSection(name, p));
  }
  const totalTokens = sections.reduce((n, s) => n + s.tokens, 0);
  const budgetTokens = Math.max(0, base.contextWindow - base.outputReserve);
  const stablePrefixTokens = sections
    .filter((s) => s.section === 'system' || s.section === 'tools' || s.section === 'pinned')
    .reduce((n, s) => n + s.tokens, 0);
  return {
    sections,
    totalTokens,
    budgetTokens,
    contextWindow: base.contextWindow,
    outputReserve: base.outputReserve,
    overBudgetTokens: Math.max(0, totalTokens - budgetTokens),
    tokenizer: base.tokenizer,
    stablePrefixTokens,
    stablePrefixShare: totalTokens === 0 ? 0 : Math.round((stablePrefixTokens / totalTokens) * 1000) / 1000,
    stablePrefixHash: base.stablePrefixHash,
  };
}

/** Bases a workflow keeps by key: a few slots' worth, the least recently received dropped. */
const BASES_KEPT = 16;

/**
 * The bases a workflow holds, the latest one per slot (a model and the kind of call: a
 * routing fallback or a side call has its own system and tools, so its own base). `keyFor`
 * is what a call's input sends (`''`: none yet, but pack the result); `expand` reads a
 * result's packed record — its base found by key, so calls of one slot may overlap — and
 * remembers the base it brings for the slot's next call.
 */
export function createContextBases() {
  const latest = new Map<string, string>();
  const byKey = new Map<string, PackedContextBase>();
  return {
    // Only a key still held: a call must never be told to leave out a base we dropped.
    keyFor: (slot: string): string => {
      const key = latest.get(slot);
      return key !== undefined && byKey.has(key) ? key : '';
    },
    expand(slot: string, packed: PackedContextRecord): ContextRecord {
      const base = packed.base ?? byKey.get(packed.key);
      const record = expandContextRecord(packed, base);
      if (base) {
        latest.set(slot, packed.key);
        byKey.delete(packed.key);
        byKey.set(packed.key, base);
        if (byKey.size > BASES_KEPT) byKey.delete(byKey.keys().next().value!);
      }
      return record;
    },
  };
}
