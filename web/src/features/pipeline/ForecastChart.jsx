// The forecast by stage: open amount and weighted amount (learnt probabilities) per stage.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMoney, percent, stageLabel } from './pipeline.js';

const colors = { amount: '#c7d2fe', weighted: '#4f46e5' };

export default function ForecastChart({ forecast }) {
  const rows = forecast.groups.map((g) => ({
    label: stageLabel(g.key ?? 'none'),
    amount: Number(g.amount),
    weighted: Number(g.weighted),
    probability: forecast.stage_probabilities.find((s) => s.stage === g.key)?.probability,
  }));
  const summary =
    `Open pipeline by stage: ${formatMoney(forecast.open.amount)} open, ${formatMoney(forecast.open.weighted)} weighted. ` +
    rows.map((r) => `${r.label}: ${formatMoney(r.amount)} open, ${formatMoney(r.weighted)} weighted at ${percent(r.probability)}`).join('; ');
  return (
    <section className="card chart-card" aria-labelledby="forecast-title">
      <div className="card-head">
        <h3 id="forecast-title">Forecast by stage</h3>
        <span className="muted small">weighted with probabilities learnt from closed deals</span>
      </div>
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" fontSize={11} tickLine={false} stroke="#64748b" />
            <YAxis fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={70} tickFormatter={(v) => formatMoney(v, forecast.currency, { compact: true })} />
            <Tooltip
              cursor={{ fill: 'rgba(79,70,229,0.06)' }}
              contentStyle={{ borderRadius: 8, border: '1px solid #e2e8f0', fontSize: 12 }}
              formatter={(value, name) => [formatMoney(value, forecast.currency), name]}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="amount" name="open" fill={colors.amount} isAnimationActive={false} maxBarSize={36} radius={[3, 3, 0, 0]} />
            <Bar dataKey="weighted" name="weighted" fill={colors.weighted} isAnimationActive={false} maxBarSize={36} radius={[3, 3, 0, 0]} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
