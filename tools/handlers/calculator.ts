import { calculator } from '../contracts/calculator.ts';
import { registerTool, ToolError } from './types.ts';

/**
 * A small recursive-descent evaluator: no `eval`, no identifiers, bounded input (the
 * contract caps it at 500 characters). Grammar:
 *   expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'%') unary)*
 *   unary := '-' unary | '+' unary | power ; power := atom ('^' unary)?
 * so `-2^2` is -4 and `2^-1` is 0.5, as in mathematics.
 *   atom := number | '(' expr ')'
 */
export function evaluateExpression(source: string): number {
  let pos = 0;
  const fail = (what: string): never => {
    throw new ToolError(`cannot evaluate "${source}": ${what} at position ${pos + 1}`);
  };
  const skip = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };
  const peek = () => (skip(), source[pos]);

  const atom = (): number => {
    const c = peek();
    if (c === '(') {
      pos++;
      const v = expr();
      if (peek() !== ')') fail('expected ")"');
      pos++;
      return v;
    }
    const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(pos));
    if (!m) return fail(c === undefined ? 'unexpected end' : `unexpected "${c}"`);
    pos += m[0].length;
    return Number(m[0]);
  };
  const unary = (): number => {
    const c = peek();
    if (c === '-') return (pos++, -unary());
    if (c === '+') return (pos++, unary());
    return power();
  };
  const power = (): number => {
    const base = atom();
    if (peek() === '^') {
      pos++;
      return base ** unary();
    }
    return base;
  };
  const term = (): number => {
    let v = unary();
    for (let c = peek(); c === '*' || c === '/' || c === '%'; c = peek()) {
      const opPos = pos++;
      const rhs = unary();
      if ((c === '/' || c === '%') && rhs === 0) {
        pos = opPos;
        fail('division by zero');
      }
      v = c === '*' ? v * rhs : c === '/' ? v / rhs : v % rhs;
    }
    return v;
  };
  function expr(): number {
    let v = term();
    for (let c = peek(); c === '+' || c === '-'; c = peek()) {
      pos++;
      v = c === '+' ? v + term() : v - term();
    }
    return v;
  }

  const value = expr();
  if (peek() !== undefined) fail(`unexpected "${source[pos]}"`);
  if (!Number.isFinite(value)) throw new ToolError(`"${source}" does not evaluate to a finite number`);
  return value;
}

/** Rounds away binary noise (0.1 + 0.2) without hiding real precision. */
export function formatNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

export const calculatorTool = registerTool(calculator, async ({ expression }) => {
  return `${expression} = ${formatNumber(evaluateExpression(expression))}`;
});
