// The pipeline page's pure parts: money as the server sends it (exact decimal strings), the
// board's columns from the forecast, and moves between stages.

// "2750982.00" (a decimal string, exact) -> "$2,750,982"; whole units unless `cents`.
export function formatMoney(amount, currency = 'USD', { cents = false, compact = false } = {}) {
  if (amount === null || amount === undefined || amount === '') return '—';
  const options = { style: 'currency', currency, maximumFractionDigits: cents ? 2 : 0 };
  if (compact) Object.assign(options, { notation: 'compact', maximumFractionDigits: 2 });
  return Number(amount).toLocaleString('en-US', options);
}

export const percent = (p) => (p === null || p === undefined ? '—' : `${Math.round(p * 100)}%`);

export const closedStages = ['won', 'lost'];

export const stageLabel = (stage) => stage.charAt(0).toUpperCase() + stage.slice(1).replaceAll('_', ' ');

// The board's columns: the open stages in order (with their learnt probability and totals),
// then won and lost (drop targets).
export function columnsOf(forecast) {
  const groups = new Map((forecast?.groups ?? []).map((g) => [g.key, g]));
  const open = (forecast?.stage_probabilities ?? []).map((s) => ({
    stage: s.stage,
    open: true,
    probability: s.probability,
    count: groups.get(s.stage)?.count ?? 0,
    amount: groups.get(s.stage)?.amount ?? '0',
    weighted: groups.get(s.stage)?.weighted ?? '0',
  }));
  const closed = closedStages.map((stage) => ({ stage, open: false, count: forecast?.closed?.[stage] ?? 0 }));
  return [...open, ...closed];
}

// The stage `step` places after (+1) or before (-1) `stage` among `stages`; null past the ends.
export function neighbour(stages, stage, step) {
  const index = stages.indexOf(stage);
  const next = stages[index + step];
  return index < 0 || next === undefined ? null : next;
}
