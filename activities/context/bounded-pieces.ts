/**
 * Splits a text into pieces a BPE encoder can count in linear time. `gpt-tokenizer` merges
 * each pre-token (a run of letters, of punctuation, of whitespace, as its split regex cuts
 * the text) with a loop that is quadratic in the pre-token's length: ordinary prose is
 * fast, but 200k characters without a break (a base64 blob with only letters, a column of
 * `=`, a minified identifier) took about 20 s to count. Here a pre-token longer than
 * `MAX_PRE_TOKEN_CHARS` is counted in slices of that size, and everything between such
 * pre-tokens in one piece, so the encoder never sees a long pre-token.
 *
 * Exactness: a text without a long pre-token is one piece, counted exactly as before. A
 * sliced pre-token costs at most about one token per slice boundary more than the encoder
 * would count whole (tokens cannot merge across a cut), and a piece that ends where a long
 * pre-token starts may split its trailing whitespace differently: an overcount of a fraction
 * of a percent, on texts that were too slow to count at all.
 */

/** The longest pre-token counted whole, and the slice size of longer ones. */
export const MAX_PRE_TOKEN_CHARS = 256;

/** A piece `[start, end)` of the text. */
export interface Piece {
  start: number;
  end: number;
}

/**
 * The pieces of `text` to count one by one, in order, covering it exactly. `split` is the
 * encoder's pre-token regex (global, unicode). The common case, no long run anywhere, is
 * decided by one scan of the characters and yields the whole text.
 */
export function* boundedPieces(text: string, split: RegExp, max = MAX_PRE_TOKEN_CHARS): Generator<Piece> {
  if (!hasLongRun(text, max - 1)) {
    yield { start: 0, end: text.length };
    return;
  }
  let start = 0;
  for (const match of text.matchAll(split)) {
    const at = match.index;
    const length = match[0].length;
    if (length <= max) continue;
    if (at > start) yield { start, end: at };
    let from = at;
    const end = at + length;
    while (from < end) {
      let to = Math.min(end, from + max);
      // Never cut a surrogate pair.
      if (to < end && isHighSurrogate(text.charCodeAt(to - 1))) to -= 1;
      yield { start: from, end: to };
      from = to;
    }
    start = end;
  }
  if (start < text.length) yield { start, end: text.length };
}

/** Whether some run of whitespace, or of anything else, is longer than `limit` characters:
 * a pre-token is at most one such run plus one leading character. */
function hasLongRun(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let run = 0;
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const s = isSpace(text.charCodeAt(i));
    run = s === space ? run + 1 : 1;
    space = s;
    if (run > limit) return true;
  }
  return false;
}

/** What `\s` matches in a JavaScript regex. */
function isSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
