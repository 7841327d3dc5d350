import { compareMoney, formatLetterPrice, parseMoney } from '@notify-stats/money';

export interface LetterLine {
  /** Raw postage from the facts: first, second, economy, europe, rest-of-world ('' if unknown). */
  postage: string;
  /** Letter rate as a plain decimal string. */
  rate: string;
  letters: number;
}

// reports.md section 3: europe and rest-of-world are billed as one international group.
const GROUP: Record<string, string> = { economy: 'economy', second: 'second', first: 'first', europe: 'international', 'rest-of-world': 'international' };
const ORDER = ['economy', 'second', 'first', 'international'];

function label(group: string): string {
  if (group === 'international') return 'international letters';
  // Postage the spec does not name (a letter event without postage) keeps its count visible
  // rather than vanishing from the text; it sorts after the named groups.
  return group === '' ? 'letters' : `${group} class letters`;
}

/** A rate's canonical form and its printed price, for a text a few rates make for every service. */
interface Priced {
  rate: string;
  price: string;
}
// Reports price the same few rates thousands of times, and decimal.js parses them each time:
// remembered by the rate as written, and forgotten wholesale when odd data fills the memo.
const PRICED = new Map<string, Priced>();
const PRICED_MAX = 10_000;

function priced(rate: string): Priced {
  let p = PRICED.get(rate);
  if (!p) {
    // Canonical form so "0.45" and "0.4500" are one rate.
    const canonical = parseMoney(rate) ?? rate;
    p = { rate: canonical, price: formatLetterPrice(canonical) };
    if (PRICED.size >= PRICED_MAX) PRICED.clear();
    PRICED.set(rate, p);
  }
  return p;
}

/**
 * The billing report's `letter_breakdown`: one line per (postage group, rate), ordered economy,
 * second, first, international, then rate ascending; "" when there are no letters.
 */
export function letterBreakdown(lines: readonly LetterLine[]): string {
  const merged = new Map<string, { group: string; rate: Priced; letters: number }>();
  for (const line of lines) {
    if (line.letters <= 0) continue;
    const group = GROUP[line.postage] ?? '';
    const rate = priced(line.rate);
    const key = `${group}|${rate.rate}`;
    const seen = merged.get(key);
    if (seen) seen.letters += line.letters;
    else merged.set(key, { group, rate, letters: line.letters });
  }
  const rank = (g: string) => (ORDER.includes(g) ? ORDER.indexOf(g) : ORDER.length);
  return [...merged.values()]
    .sort((x, y) => rank(x.group) - rank(y.group) || compareMoney(x.rate.rate, y.rate.rate))
    .map((l) => `${l.letters} ${label(l.group)} at ${l.rate.price}\n`)
    .join('');
}
