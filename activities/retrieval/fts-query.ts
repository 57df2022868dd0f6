/** Words too common to say anything about relevance in a question. */
const stopwords = new Set(
  (
    'a an the and or but not no nor of to in on at by for from with about into over as is are was were be been being ' +
    'do does did doing have has had having i me my we us our you your he she it its they them their this that these those ' +
    'what which who whom whose how when where why can could should would will shall may might must there here if then than ' +
    'so such too very just also any some all each get got am s t'
  ).split(' '),
);

/** Terms beyond this are ignored, so a pasted essay cannot make a query arbitrarily slow. */
export const maxQueryTerms = 32;

/**
 * Turns free text into a safe FTS5 query: its words, each quoted, joined with OR.
 *
 * FTS5 has its own syntax (`AND`, `OR`, `NOT`, `NEAR`, `"phrases"`, `prefix*`, `col:`,
 * `^`, parentheses), and user text that happens to contain it either fails to parse or
 * means something else. Here only runs of letters, digits and combining marks survive
 * (the same characters the `unicode61` tokenizer keeps), every term is a quoted string, so
 * no operator or column filter can form, and terms are ORed so BM25 ranks chunks by how
 * many and how rare the matching terms are, instead of demanding every word. Common
 * English words are dropped unless nothing else is left.
 *
 * Returns `undefined` when the text has no searchable word at all.
 *
 * @example toFtsQuery('What is the "restocking fee" (opened items)?') // '"restocking" OR "fee" OR "opened" OR "items"'
 */
export function toFtsQuery(text: string): string | undefined {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const unique = [...new Set(words)];
  const meaningful = unique.filter((w) => !stopwords.has(w));
  const terms = (meaningful.length ? meaningful : unique).slice(0, maxQueryTerms);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t}"`).join(' OR ');
}
