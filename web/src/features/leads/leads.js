// The leads feature's calls and the pure helpers its pages use (tested in leads.test.js).
import { api } from '../../services/api.js';

// POST /leads/import with the file as text/csv; the options become the query.
export function importCsv(file, { outcomeColumn = '', idColumn = '', partial = false }) {
  const params = {};
  if (outcomeColumn.trim()) params.outcome_column = outcomeColumn.trim();
  if (idColumn.trim()) params.id_column = idColumn.trim();
  if (partial) params.partial = 'true';
  return api.post('/leads/import', file, { params, headers: { 'Content-Type': 'text/csv' }, timeout: 300000 }).then((r) => r.data);
}

export function listLeads({ sort = 'score', cursor = null } = {}) {
  const params = { limit: 50, sort };
  if (cursor) params.cursor = cursor;
  return api.get('/leads', { params }).then((r) => r.data);
}

// A problem's errors named "row N, column C" as rows of a report, in file order.
export function rejectedFromProblem(fields) {
  return Object.entries(fields ?? {})
    .map(([field, reason]) => {
      const m = /^row (\d+), column (.*)$/.exec(field);
      return m ? { row: Number(m[1]), column: m[2], reason } : null;
    })
    .filter(Boolean)
    .sort((a, b) => a.row - b.row);
}

// A lead's factors for a bar chart: largest first, up then down, with a readable value.
export function factorBars(factors) {
  return [...(factors ?? [])]
    .sort((a, b) => b.contribution - a.contribution)
    .map((f) => ({
      feature: f.feature,
      value: f.value === null || f.value === undefined ? 'missing' : String(f.value),
      contribution: Math.round(f.contribution * 1000) / 1000,
      reason: f.reason ?? null,
    }));
}

export function factorSummary(lead) {
  const bars = factorBars(lead.score_factors);
  if (!bars.length) return `Score ${lead.score}: no factor raised or lowered it.`;
  const up = bars.filter((b) => b.contribution > 0).map((b) => `${b.feature} (${b.value}) +${b.contribution}`);
  const down = bars.filter((b) => b.contribution < 0).map((b) => `${b.feature} (${b.value}) ${b.contribution}`);
  return `Score ${lead.score}, grade ${lead.grade}. Raised by ${up.join(', ') || 'nothing'}; lowered by ${down.join(', ') || 'nothing'}.`;
}

export const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);
export const decimal = (x, digits = 3) => (x === null || x === undefined ? '—' : Number(x).toFixed(digits));

// The calibration table as points, with the diagonal a perfect model would follow.
export function calibrationPoints(evaluation) {
  return (evaluation?.calibration ?? []).map((b) => ({
    predicted: Math.round(b.mean_predicted * 1000) / 1000,
    observed: Math.round(b.observed_rate * 1000) / 1000,
    count: b.count,
    bin: `${Math.round(b.low * 100)}-${Math.round(b.high * 100)} %`,
  }));
}

// "a, b ,c" -> ["a","b","c"]
export const columnList = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
