/**
 * The bench's calculator-like tool, shared by every variant (Bosun's bench tools, the peer's
 * activities, the in-process loop) so each returns byte for byte the same text: the sum
 * `k+1` the model asked for, padded to a fixed size. The size is what the measurement varies
 * (20 B: a typical small result; 5 KB: a document-sized one). No imports: the peer's worker,
 * a separate package, loads this file too.
 */

/** The tool output sizes the bench measures, by the name its tools carry. */
export const toolOutputBytes = { '20b': 20, '5kb': 5 * 1024 } as const;
export type ToolSize = keyof typeof toolOutputBytes;

/** Tool names per size: the same in Bosun's bench catalog and in the peer's workflow. */
export const benchToolName = (size: ToolSize): string => `calc_${size}`;

/** Ordinary English words: padding a tokenizer counts as text does (~1 token per word, ~1200
 * per 5 KB), where spaces would collapse into a few tokens and never fill a context window. */
const filler = 'the quick brown fox jumps over the lazy dog while the model reads the tool result again ';

/** `expression` is `k+1` (the fake model asks for that at step k+1); anything else is
 * reported as such, still padded. */
export function calcOutput(expression: string, bytes: number): string {
  const m = /^(\d+)\+(\d+)$/.exec(expression.trim());
  const text = m ? `${m[1]}+${m[2]}=${Number(m[1]) + Number(m[2])}` : `bad expression ${expression}`;
  if (text.length >= bytes) return text;
  const pad = filler.repeat(Math.ceil(bytes / filler.length)).slice(0, bytes - text.length - 2);
  return `${text} ${pad}.`;
}
