import { describe, expect, it } from 'vitest';
import { calibrationPoints, columnList, factorBars, factorSummary, rejectedFromProblem } from './leads.js';

describe('leads helpers', () => {
  it('reads the rows and columns a refused import names, in file order', () => {
    expect(rejectedFromProblem({ 'row 12, column won': "'maybe' is not an outcome", 'row 3, column id': 'empty', other: 'x' })).toEqual([
      { row: 3, column: 'id', reason: 'empty' },
      { row: 12, column: 'won', reason: "'maybe' is not an outcome" },
    ]);
  });

  it('orders factors from the most raising to the most lowering and names missing values', () => {
    const bars = factorBars([
      { feature: 'contact', value: null, contribution: -0.94 },
      { feature: 'poutcome', value: 'success', contribution: 2.6491 },
      { feature: 'age', value: 30, contribution: 0.1448 },
    ]);
    expect(bars.map((b) => [b.feature, b.value, b.contribution])).toEqual([
      ['poutcome', 'success', 2.649],
      ['age', '30', 0.145],
      ['contact', 'missing', -0.94],
    ]);
    expect(factorSummary({ score: 69, grade: 'A', score_factors: bars })).toBe(
      'Score 69, grade A. Raised by poutcome (success) +2.649, age (30) +0.145; lowered by contact (missing) -0.94.',
    );
    expect(factorSummary({ score: 0, grade: 'D', score_factors: [] })).toBe('Score 0: no factor raised or lowered it.');
  });

  it('turns the calibration table into points and a column list into names', () => {
    expect(calibrationPoints({ calibration: [{ low: 0.1, high: 0.2, count: 40, mean_predicted: 0.1333, observed_rate: 0.125 }] })).toEqual([
      { predicted: 0.133, observed: 0.125, count: 40, bin: '10-20 %' },
    ]);
    expect(columnList(' duration, , pdays ')).toEqual(['duration', 'pdays']);
  });
});
