import { describe, expect, it } from 'vitest';
import { budgetChanges, byChannel, chartRow, fromCents, metricsOf, suggestionText, toCents } from './campaigns.js';

const campaign = (channel, totals, currency = 'USD') => ({ channel, currency, totals });

describe('campaign helpers', () => {
  it('reads and writes money exactly in cents', () => {
    expect(toCents('1234.5')).toBe(123450);
    expect(toCents('0.07')).toBe(7);
    expect(toCents('12')).toBe(1200);
    // 0.1 + 0.2 in floating point is not 0.3; in cents it is.
    expect(fromCents(toCents('0.10') + toCents('0.20'))).toBe('0.30');
    expect(fromCents(5)).toBe('0.05');
  });

  it('derives the metrics, null where the denominator is zero', () => {
    expect(metricsOf({ spend: 10000, impressions: 5000, clicks: 100, conversions: 4, revenue: 30000 })).toEqual({
      ctr: 0.02, conversion_rate: 0.04, cpc: '1.00', cpa: '25.00', roas: 3, roi: 2,
    });
    expect(metricsOf({ spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0 })).toEqual({
      ctr: null, conversion_rate: null, cpc: null, cpa: null, roas: null, roi: null,
    });
  });

  it('sums campaigns by channel and currency, largest spend first', () => {
    const rows = byChannel([
      campaign('email', { spend: '0.10', impressions: 10, clicks: 1, conversions: 0, revenue: '0.00' }),
      campaign('search', { spend: '100.10', impressions: 1000, clicks: 50, conversions: 5, revenue: '300.00' }),
      campaign('search', { spend: '99.90', impressions: 1000, clicks: 50, conversions: 5, revenue: '100.00' }),
      campaign('search', { spend: '1.00', impressions: 1, clicks: 1, conversions: 1, revenue: '1.00' }, 'EUR'),
    ]);
    expect(rows.map((r) => [r.channel, r.currency, r.campaigns, r.spend])).toEqual([
      ['search', 'USD', 2, '200.00'],
      ['search', 'EUR', 1, '1.00'],
      ['email', 'USD', 1, '0.10'],
    ]);
    expect(rows[0].metrics.cpa).toBe('20.00');
    expect(rows[0].metrics.roi).toBe(1);
    expect(rows[2].metrics.cpa).toBeNull();
  });

  const plan = {
    budget: '300.00', currency: 'USD', objective: 'conversions', expected_total: 52.34, interval: [48.01, 57.9], current_expected: 45,
    allocations: [
      { item: 'a', name: 'Search', spend: '180.00', current_spend: '100.00' },
      { item: 'b', name: 'Social', spend: '70.00', current_spend: '100.00' },
      { item: 'c', name: 'Email', spend: '50.00', current_spend: '50.00' },
    ],
  };

  it('explains the suggestion with its numbers', () => {
    expect(suggestionText(plan)).toBe(
      'Splitting 300.00 USD a day this way is expected to bring 52.3 conversions a day (90% interval 48 to 57.9). ' +
        'The current budgets are expected to bring 45: 7.3 more (+16.3%) with this split. ' +
        'More for Search: +80.00 USD. Less for Social: −30.00 USD.',
    );
    expect(suggestionText({ ...plan, current_expected: null, allocations: [] })).toBe(
      'Splitting 300.00 USD a day this way is expected to bring 52.3 conversions a day (90% interval 48 to 57.9).',
    );
  });

  it('applies the suggestion as budget changes of the campaigns that change', () => {
    expect(budgetChanges(plan)).toEqual([
      { id: 'a', budget: '180.00' },
      { id: 'b', budget: '70.00' },
    ]);
  });

  it('makes chart rows of numbers', () => {
    expect(chartRow({ date: '2026-03-01', spend: '12.50', conversions: 3, revenue: '40.00' })).toEqual({
      date: '03-01', spend: 12.5, conversions: 3, revenue: 40,
    });
  });
});
