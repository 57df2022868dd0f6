import { describe, expect, it } from 'vitest';
import { evaluateExpression, formatNumber } from '../../tools/handlers/calculator.ts';
import { ToolError } from '../../tools/handlers/types.ts';

/** The error `evaluateExpression` throws for `source`, failing the test if it evaluates. */
function errorOf(source: string): ToolError {
  try {
    evaluateExpression(source);
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return err as ToolError;
  }
  throw new Error(`expected "${source}" to be rejected`);
}

describe('evaluateExpression', () => {
  it('gives * / % precedence over + and -, left to right', () => {
    expect(evaluateExpression('2 + 3 * 4')).toBe(14);
    expect(evaluateExpression('10 - 4 - 3')).toBe(3);
    expect(evaluateExpression('48 / 4 / 2')).toBe(6);
    expect(evaluateExpression('7 % 4 * 2')).toBe(6);
  });

  it('binds ^ tighter than * and associates it to the right', () => {
    expect(evaluateExpression('2 * 3 ^ 2')).toBe(18);
    expect(evaluateExpression('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluateExpression('2 ^ -1')).toBe(0.5);
  });

  it('applies unary minus and plus, repeated', () => {
    expect(evaluateExpression('-3 + 5')).toBe(2);
    expect(evaluateExpression('4 * -2')).toBe(-8);
    expect(evaluateExpression('--3')).toBe(3);
    expect(evaluateExpression('+-+2')).toBe(-2);
  });

  it('reads decimals, leading-dot numbers and exponents', () => {
    expect(evaluateExpression('18.40 * 2')).toBeCloseTo(36.8, 12);
    expect(evaluateExpression('.5 + 1.')).toBe(1.5);
    expect(evaluateExpression('1.5E-3')).toBe(0.0015);
    expect(evaluateExpression('2e3 + .5e1')).toBe(2005);
  });

  it('honours parentheses and ignores whitespace', () => {
    expect(evaluateExpression('(2 + 3) * 4')).toBe(20);
    expect(evaluateExpression(' ( ( 1 ) ) ')).toBe(1);
    expect(evaluateExpression('2*(24.50-3)/4')).toBe(10.75);
  });

  it('computes the example refund: 2 opened mugs at $18.40 less a 10% restocking fee', () => {
    expect(formatNumber(evaluateExpression('2 * 18.40 * (1 - 0.10)'))).toBe('33.12');
  });

  it('rejects division and remainder by zero, pointing into the expression', () => {
    expect(errorOf('1 / 0').message).toMatch(/division by zero at position \d+/);
    expect(errorOf('5 % (2 - 2)').message).toMatch(/division by zero at position \d+/);
  });

  it('rejects garbage with what it found and where', () => {
    expect(errorOf('2 +').message).toBe('cannot evaluate "2 +": unexpected end at position 4');
    expect(errorOf('abc').message).toBe('cannot evaluate "abc": unexpected "a" at position 1');
    expect(errorOf('1)').message).toBe('cannot evaluate "1)": unexpected ")" at position 2');
    expect(errorOf('(1').message).toBe('cannot evaluate "(1": expected ")" at position 3');
    expect(errorOf('2 3').message).toBe('cannot evaluate "2 3": unexpected "3" at position 3');
    expect(errorOf('').message).toBe('cannot evaluate "": unexpected end at position 1');
  });

  it('refuses identifiers, so nothing but arithmetic can run', () => {
    expect(errorOf('Math.PI').message).toMatch(/unexpected "M" at position 1/);
    expect(errorOf('1 + process.exit()').message).toMatch(/unexpected "p" at position 5/);
  });

  it('rejects a result that is not a finite number, as a non-retryable tool error', () => {
    const err = errorOf('1e308 * 10');
    expect(err.message).toBe('"1e308 * 10" does not evaluate to a finite number');
    expect(err.retryable).toBe(false);
  });
});

describe('formatNumber', () => {
  it('rounds away binary noise', () => {
    expect(evaluateExpression('0.1 + 0.2')).not.toBe(0.3);
    expect(formatNumber(evaluateExpression('0.1 + 0.2'))).toBe('0.3');
    expect(formatNumber(1.1 * 3)).toBe('3.3');
  });

  it('keeps twelve significant digits and plain integers', () => {
    expect(formatNumber(1 / 3)).toBe('0.333333333333');
    expect(formatNumber(2005)).toBe('2005');
    expect(formatNumber(-0.5)).toBe('-0.5');
  });
});

describe('calculator precedence of unary minus', () => {
  it('binds ^ tighter than a leading minus, as in mathematics', () => {
    expect(evaluateExpression('-2^2')).toBe(-4);
    expect(evaluateExpression('2^-1')).toBe(0.5);
    expect(evaluateExpression('(-2)^2')).toBe(4);
    expect(evaluateExpression('2^3^2')).toBe(512);
  });

  it('points a division by zero at the operator', () => {
    expect(() => evaluateExpression('10 / 0')).toThrow(/division by zero at position 4/);
  });
});
