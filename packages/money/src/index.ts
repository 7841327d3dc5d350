// Exact decimal money. Values travel as canonical plain decimal strings so no float ever touches them.
// Named import: under NodeNext the package's CJS-typed .d.ts makes the default import the namespace.
import { Decimal } from 'decimal.js';

// A private clone, so nobody else's Decimal.set() can change our rounding or precision.
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

const MAX_DP = 10;
const PLAIN_RE = /^\d+(\.\d+)?$/;
// Arithmetic inputs may be negative (e.g. adjustments); exponent, hex and "Infinity" forms are refused.
const SIGNED_PLAIN_RE = /^-?\d+(\.\d+)?$/;

// toFixed() without arguments gives plain notation (never "1e-7"); `+ 0` turns -0 into 0.
const canonical = (d: Decimal): string => d.plus(0).toFixed();

/** `value` itself, refused unless it is a plain decimal string (either sign). */
function plain(value: string, what: string): string {
  if (!SIGNED_PLAIN_RE.test(value)) throw new TypeError(`${what} is not a plain decimal string: ${JSON.stringify(value)}`);
  return value;
}

function dec(value: string | number, what: string): Decimal {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${what} is not finite: ${value}`);
    return new D(String(value));
  }
  return new D(plain(value, what));
}

/** Significant digits a double always carries exactly. */
const MAX_NUMBER_DIGITS = 15;

export function parseMoney(value: unknown): string | null {
  let d: Decimal;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    // String(n) is the shortest round-trip form (0.11 -> "0.11", 1e-7 -> "1e-7"), not the binary expansion.
    d = new D(String(value));
    // Past 15 significant digits a JSON number may already have been rounded by the parser
    // (9223372036854775808 arrives as 9223372036854776000): such amounts must come as strings.
    if (d.precision() > MAX_NUMBER_DIGITS) return null;
  } else if (typeof value === 'string' && PLAIN_RE.test(value)) {
    d = new D(value);
  } else {
    return null;
  }
  return d.decimalPlaces() > MAX_DP ? null : canonical(d);
}

/**
 * The double nearest to an amount. Number() of a plain decimal string is already the correctly
 * rounded double of its exact value (ECMAScript's StringToNumber), which is what going through
 * Decimal gave at a Decimal's cost: a report of 2,000 services converts thousands of amounts.
 */
export function moneyToNumber(s: string): number {
  const n = Number(plain(s, 'Money'));
  if (!Number.isFinite(n)) throw new RangeError(`Money out of number range: ${s}`);
  return n === 0 ? 0 : n; // never -0
}

/** Whether an amount (a plain decimal string, either sign) is more than zero, read from its digits. */
export function isPositiveMoney(s: string): boolean {
  return plain(s, 'Amount')[0] !== '-' && /[1-9]/.test(s);
}

export function multiplyMoney(a: string, b: string | number): string {
  return canonical(dec(a, 'Multiplicand').times(dec(b, 'Multiplier')));
}

export function sumMoney(values: Array<string>): string {
  return canonical(values.reduce((acc: Decimal, v) => acc.plus(dec(v, 'Addend')), new D(0)));
}

/** Exact order of two amounts (plain decimal strings, either sign): negative, 0 or positive, as for a sort. */
export function compareMoney(a: string, b: string): number {
  return dec(a, 'Amount').comparedTo(dec(b, 'Amount'));
}

export function formatLetterPrice(rate: string): string {
  const d = dec(rate, 'Rate');
  if (d.isNegative()) throw new RangeError(`Rate is negative: ${rate}`);
  // The unit is chosen from the unrounded rate: 0.995 stays in pence and prints "100p".
  if (d.lessThan(1)) return `${d.times(100).toFixed(0, D.ROUND_HALF_EVEN)}p`;
  const [whole = '', fraction = ''] = d.toFixed(2, D.ROUND_HALF_EVEN).split('.');
  return `£${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${fraction}`;
}
