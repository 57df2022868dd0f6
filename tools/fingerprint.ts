import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { ToolContract } from './define-tool.ts';
import { toolSpec } from './define-tool.ts';

/**
 * A tool's version: the first 16 hex digits of the SHA-256 of everything that decides how
 * a call is offered, checked and authorized — name, description, JSON Schema, effect,
 * scopes, limits, approval options, whether a policy and constraints exist, and the
 * contract's declared `version` (code cannot be hashed reliably: the workflow bundle
 * compiles it differently from Node). A run pins these at start and every model call
 * records the set it offered, so "which tool contract ran" is answerable like "which prompt
 * ran". Pure JS: it gives the same answer in the workflow sandbox and in Node.
 */
export function toolFingerprint(contract: ToolContract): string {
  let fingerprint = fingerprints.get(contract);
  if (fingerprint === undefined) fingerprints.set(contract, (fingerprint = computeFingerprint(contract)));
  return fingerprint;
}
/** Pure in the (frozen) contract: hashed once per process and per workflow sandbox. */
const fingerprints = new WeakMap<ToolContract, string>();

function computeFingerprint(contract: ToolContract): string {
  const { name, description, inputSchema } = toolSpec(contract);
  const policy = (p: unknown) => (typeof p === 'function' ? 'policy' : (p ?? null));
  const facts = {
    name,
    description,
    inputSchema,
    effect: contract.effect,
    scopes: [...contract.scopes],
    timeoutMs: contract.timeoutMs ?? null,
    maxResultChars: contract.maxResultChars,
    maxAttempts: contract.maxAttempts,
    local: contract.local,
    approval: policy(contract.approval),
    approvalOptions: contract.approvalOptions,
    constraints: policy(contract.constraints),
    tally: policy(contract.tally),
    version: contract.version,
    // Only when set: the fingerprints of tools defined before `early` existed stay as they were.
    ...(contract.early === false ? { early: false } : {}),
  };
  return sha256Hex(canonicalJson(facts)).slice(0, 16);
}

/** One version for a set of tools (the `name@version` list, sorted). */
export function toolsetFingerprint(pins: Record<string, string>): string {
  return sha256Hex(
    Object.keys(pins)
      .sort()
      .map((n) => `${n}@${pins[n]}`)
      .join(','),
  ).slice(0, 16);
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** JSON with sorted keys, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
