import { describe, expect, it } from 'vitest';
import { letterBreakdown } from '../src/letter-breakdown.ts';
import { byCodePoint, byOrganisationThenService } from '../src/queries/services.ts';

describe('letterBreakdown', () => {
  it('is empty without letters', () => {
    expect(letterBreakdown([])).toBe('');
  });

  it('has no singular form', () => {
    expect(letterBreakdown([{ postage: 'first', rate: '0.5', letters: 1 }])).toBe('1 first class letters at 50p\n');
  });

  it('prices in pence below £1 and pounds from £1, half-to-even, one line per rate in rate order', () => {
    const rates = ['1234.5', '0.645', '0.45', '1.55', '0.995', '0.638'];
    const text = letterBreakdown(rates.map((rate) => ({ postage: 'second', rate, letters: 2 })));
    expect(text).toBe(
      [
        '2 second class letters at 45p',
        '2 second class letters at 64p', // 0.638
        '2 second class letters at 64p', // 0.645: half-to-even
        '2 second class letters at 100p', // 0.995 stays in pence
        '2 second class letters at £1.55',
        '2 second class letters at £1,234.50',
        '',
      ].join('\n'),
    );
  });

  it('merges europe and rest-of-world at one rate and orders economy, second, first, international', () => {
    const text = letterBreakdown([
      { postage: 'rest-of-world', rate: '1.55', letters: 1 },
      { postage: 'first', rate: '0.85', letters: 4 },
      { postage: 'europe', rate: '1.55', letters: 2 },
      { postage: 'europe', rate: '1.2', letters: 5 },
      { postage: 'second', rate: '0.45', letters: 3 },
      { postage: 'economy', rate: '0.4', letters: 6 },
      { postage: 'second', rate: '0.4500', letters: 1 }, // the same rate written differently
    ]);
    expect(text).toBe(
      '6 economy class letters at 40p\n' +
        '4 second class letters at 45p\n' +
        '4 first class letters at 85p\n' +
        '5 international letters at £1.20\n' +
        '3 international letters at £1.55\n',
    );
  });

  it('orders rates by value, not by their text', () => {
    const text = letterBreakdown([
      { postage: 'first', rate: '10.5', letters: 1 },
      { postage: 'first', rate: '9.5', letters: 1 },
    ]);
    expect(text).toBe('1 first class letters at £9.50\n1 first class letters at £10.50\n');
  });
});

describe('report sort order', () => {
  it('compares by code point, astral characters after U+FFFD', () => {
    expect(byCodePoint('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(byCodePoint('B', 'a')).toBeLessThan(0); // not locale order
    expect(byCodePoint('ab', 'a')).toBeGreaterThan(0);
  });

  it('puts blank organisations last, then orders by service name', () => {
    const rows = [
      { organisation_name: '', service_name: 'A', service_id: '1' },
      { organisation_name: 'b org', service_name: 'Z', service_id: '2' },
      { organisation_name: 'B org', service_name: 'Y', service_id: '3' },
      { organisation_name: 'B org', service_name: 'X', service_id: '4' },
    ];
    expect(rows.sort(byOrganisationThenService).map((r) => r.service_id)).toEqual(['4', '3', '2', '1']);
  });
});
