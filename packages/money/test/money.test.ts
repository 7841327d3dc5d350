import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { compareMoney, formatLetterPrice, isPositiveMoney, moneyToNumber, multiplyMoney, parseMoney, sumMoney } from '../src/index.ts';

describe('parseMoney', () => {
  it.each<[unknown, string]>([
    ['0.11', '0.11'],
    [0.11, '0.11'],
    [1e-7, '0.0000001'],
    ['1234.50', '1234.5'],
    [1234.5, '1234.5'],
    ['0', '0'],
    ['0.000', '0'],
    [0, '0'],
    [-0, '0'],
    ['007.5', '7.5'],
    ['0.0000000001', '0.0000000001'], // exactly 10 dp
    [1e21, '1000000000000000000000'],
  ])('%j -> %j', (input, out) => {
    expect(parseMoney(input)).toBe(out);
  });

  it.each<[string, unknown]>([
    ['exponent string', '1e-7'],
    ['negative number', -1],
    ['negative string', '-1'],
    ['non-numeric', 'abc'],
    ['11 dp string', '0.00000000001'],
    ['11 dp number', 1e-11],
    ['empty', ''],
    ['whitespace', ' 1'],
    ['leading dot', '.5'],
    ['trailing dot', '5.'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['Infinity string', 'Infinity'],
    ['null', null],
    ['object', { value: 1 }],
  ])('rejects %s', (_label, input) => {
    expect(parseMoney(input)).toBeNull();
  });
});

describe('arithmetic is exact', () => {
  it('3 x 0.11 = 0.33', () => {
    expect(multiplyMoney('0.11', 3)).toBe('0.33');
    expect(multiplyMoney('0.11', '3')).toBe('0.33');
    expect(moneyToNumber(multiplyMoney('0.11', 3))).toBe(0.33);
  });
  it('0.1 + 0.2 = 0.3', () => {
    expect(sumMoney(['0.1', '0.2'])).toBe('0.3');
    expect(sumMoney([])).toBe('0');
  });
  it('keeps every digit of a product', () => {
    expect(multiplyMoney('0.638', '1234567')).toBe('787653.746');
    expect(multiplyMoney('0.0000000001', '0.0000000001')).toBe('0.00000000000000000001');
  });
  it('refuses non-plain inputs', () => {
    expect(() => multiplyMoney('1e3', 2)).toThrow(TypeError);
    expect(() => multiplyMoney('1', Number.NaN)).toThrow(RangeError);
    expect(() => sumMoney(['0.1', 'abc'])).toThrow(TypeError);
    expect(() => moneyToNumber('Infinity')).toThrow(TypeError);
  });
  it('is unaffected by changes to the global Decimal', () => {
    const saved = Decimal.precision;
    Decimal.set({ precision: 2 });
    try {
      expect(multiplyMoney('1234.5678', 3)).toBe('3703.7034');
    } finally {
      Decimal.set({ precision: saved });
    }
  });
});

describe('formatLetterPrice', () => {
  it.each([
    ['0.45', '45p'],
    ['0.638', '64p'],
    ['0.645', '64p'], // half-even
    ['0.995', '100p'], // below £1 stays in pence
    ['1.55', '£1.55'],
    ['1234.5', '£1,234.50'],
    ['0.3', '30p'],
    ['1', '£1.00'],
  ])('%s -> %s', (rate, out) => {
    expect(formatLetterPrice(rate)).toBe(out);
  });
  it('rounds pounds half-even and groups thousands', () => {
    expect(formatLetterPrice('1.005')).toBe('£1.00');
    expect(formatLetterPrice('1.015')).toBe('£1.02');
    expect(formatLetterPrice('1234567.891')).toBe('£1,234,567.89');
    expect(formatLetterPrice('0')).toBe('0p');
  });
  it('rejects negative or malformed rates', () => {
    expect(() => formatLetterPrice('-0.5')).toThrow(RangeError);
    expect(() => formatLetterPrice('abc')).toThrow(TypeError);
  });
});

describe('parseMoney: JSON numbers the parser may have rounded', () => {
  it.each([9223372036854775808, 0.12345678901234567, 1234567890.123456])('refuses %j (more than 15 significant digits)', (v) => {
    expect(parseMoney(v)).toBeNull();
  });
  it.each([
    [123456789012345, '123456789012345'],
    [0.0197, '0.0197'],
    [1e-7, '0.0000001'],
  ])('takes %j as %s', (v, expected) => {
    expect(parseMoney(v)).toBe(expected);
  });
  it('takes the same amount as a string, exactly', () => {
    expect(parseMoney('9223372036854775808')).toBe('9223372036854775808');
  });
});

describe('compareMoney', () => {
  it.each<[string, string, number]>([
    ['0.45', '0.638', -1],
    ['10', '9.99', 1],
    ['1.5', '1.50', 0],
    ['1234.5', '999.9999', 1],
    ['0.0000000001', '0', 1],
    ['-1', '0.5', -1],
    ['0', '-0', 0],
    // Past a double's precision: as numbers these two are equal.
    ['9007199254740993', '9007199254740992', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareMoney(a, b))).toBe(sign);
  });

  it('refuses what is not a plain decimal', () => {
    expect(() => compareMoney('1e3', '1')).toThrow(TypeError);
  });
});

// An amount as a plain decimal string: either sign, up to 30 integer digits and 12 decimals,
// leading and trailing zeros included.
const amount = fc
  .tuple(fc.boolean(), fc.stringMatching(/^\d{1,30}$/), fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }))
  .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);

describe('moneyToNumber', () => {
  it('is the double nearest the exact amount, as Decimal rounds it', () => {
    fc.assert(
      fc.property(amount, (a) => {
        expect(moneyToNumber(a)).toBe(new Decimal(a).toNumber() || 0);
      }),
      { numRuns: 2000 },
    );
  });
  it.each([
    ['0.1000000000', 0.1],
    ['-0.0000', 0],
    ['9007199254740993', 9007199254740992],
    ['6.6783', 6.6783],
  ])('%s -> %s', (a, n) => {
    expect(Object.is(moneyToNumber(a), n)).toBe(true);
  });
  it('refuses what is not a plain decimal', () => {
    expect(() => moneyToNumber('1e3')).toThrow(TypeError);
    expect(() => moneyToNumber(' 1')).toThrow(TypeError);
  });
});

describe('isPositiveMoney', () => {
  it('agrees with an exact comparison with zero', () => {
    fc.assert(
      fc.property(amount, (a) => {
        expect(isPositiveMoney(a)).toBe(new Decimal(a).greaterThan(0));
      }),
      { numRuns: 2000 },
    );
  });
  it.each<[string, boolean]>([
    ['0.0000', false],
    ['-0', false],
    ['0.0000000001', true],
    ['-0.0000000001', false],
    ['10', true],
  ])('%s -> %s', (a, positive) => {
    expect(isPositiveMoney(a)).toBe(positive);
  });
  it('refuses what is not a plain decimal', () => {
    expect(() => isPositiveMoney('Infinity')).toThrow(TypeError);
  });
});
