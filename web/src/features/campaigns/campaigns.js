// The campaigns page's pure parts: money as the server sends it (exact decimal strings, summed
// here in cents), the metrics of a channel's campaigns together, the optimiser's suggestion in
// words and the budget changes that apply it.

// "1234.50" -> 123450 (cents), exactly: no floating point on the way.
export function toCents(amount) {
  const [units, fraction = ''] = String(amount ?? '0').split('.');
  return Number(units) * 100 + Number((fraction + '00').slice(0, 2));
}

export const fromCents = (cents) => `${Math.trunc(cents / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

const ratio = (over, under) => (under > 0 ? over / under : null);

// CTR, conversion rate, CPC, CPA, ROAS, ROI from totals (money in cents); null for a zero
// denominator, as the server gives them.
export function metricsOf({ spend, impressions, clicks, conversions, revenue }) {
  return {
    ctr: ratio(clicks, impressions),
    conversion_rate: ratio(conversions, clicks),
    cpc: clicks > 0 ? fromCents(Math.round(spend / clicks)) : null,
    cpa: conversions > 0 ? fromCents(Math.round(spend / conversions)) : null,
    roas: ratio(revenue, spend),
    roi: spend > 0 ? (revenue - spend) / spend : null,
  };
}

// One row per channel (and currency): its campaigns' totals summed and their metrics, the
// largest spend first.
export function byChannel(campaigns) {
  const rows = new Map();
  for (const c of campaigns) {
    const key = `${c.channel} ${c.currency}`;
    const row = rows.get(key) ?? { channel: c.channel, currency: c.currency, campaigns: 0, spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0 };
    row.campaigns += 1;
    row.spend += toCents(c.totals.spend);
    row.revenue += toCents(c.totals.revenue);
    for (const k of ['impressions', 'clicks', 'conversions']) row[k] += c.totals[k];
    rows.set(key, row);
  }
  return [...rows.values()]
    .sort((a, b) => b.spend - a.spend || a.channel.localeCompare(b.channel))
    .map((r) => ({ ...r, metrics: metricsOf(r), spend: fromCents(r.spend), revenue: fromCents(r.revenue) }));
}

const one = (x) => (Math.round(x * 10) / 10).toLocaleString('en-US');

// The optimiser's answer in a few sentences: what it expects, against the current budgets, and
// the largest moves.
export function suggestionText(plan) {
  const parts = [
    `Splitting ${plan.budget} ${plan.currency} a day this way is expected to bring ${one(plan.expected_total)} ${plan.objective} a day ` +
      `(90% interval ${one(plan.interval[0])} to ${one(plan.interval[1])}).`,
  ];
  if (plan.current_expected !== null && plan.current_expected !== undefined) {
    const gain = plan.expected_total - plan.current_expected;
    const share = plan.current_expected > 0 ? ` (${gain >= 0 ? '+' : ''}${one((100 * gain) / plan.current_expected)}%)` : '';
    parts.push(
      `The current budgets are expected to bring ${one(plan.current_expected)}: ${one(Math.abs(gain))} ${gain >= 0 ? 'more' : 'less'}${share} with this split.`,
    );
  }
  const moves = plan.allocations
    .map((a) => ({ name: a.name, change: toCents(a.spend) - toCents(a.current_spend) }))
    .filter((m) => m.change !== 0)
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
    .slice(0, 2);
  for (const m of moves)
    parts.push(`${m.change > 0 ? 'More' : 'Less'} for ${m.name}: ${m.change > 0 ? '+' : '−'}${fromCents(Math.abs(m.change))} ${plan.currency}.`);
  return parts.join(' ');
}

// The PATCHes that set each campaign's budget to its suggested spend (only those that change).
export function budgetChanges(plan) {
  return plan.allocations.filter((a) => toCents(a.spend) !== toCents(a.current_spend)).map((a) => ({ id: a.item, budget: a.spend }));
}

// A day of results for the chart: numbers, not strings.
export const chartRow = (day) => ({ date: day.date.slice(5), spend: Number(day.spend), conversions: day.conversions, revenue: Number(day.revenue) });
