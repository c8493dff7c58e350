// A campaign's daily spend (bars) against its conversions (line), each on its own axis.
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMoney } from '../pipeline/pipeline.js';
import { chartRow } from './campaigns.js';

export default function SpendChart({ campaign, days }) {
  const rows = days.map(chartRow);
  const spend = rows.reduce((s, r) => s + r.spend, 0);
  const conversions = rows.reduce((s, r) => s + r.conversions, 0);
  const summary =
    `${campaign.name}: ${rows.length} days, ${formatMoney(spend, campaign.currency, { cents: true })} spent, ${conversions} conversions. ` +
    rows.map((r) => `${r.date}: ${formatMoney(r.spend, campaign.currency, { cents: true })}, ${r.conversions}`).join('; ');
  return (
    <section className="card chart-card" aria-labelledby="spend-title">
      <div className="card-head">
        <h3 id="spend-title">Spend and conversions: {campaign.name}</h3>
        <span className="muted small">daily results</span>
      </div>
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="date" fontSize={11} tickLine={false} stroke="#64748b" minTickGap={16} />
            <YAxis yAxisId="spend" fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={60}
              tickFormatter={(v) => formatMoney(v, campaign.currency, { compact: true })} />
            <YAxis yAxisId="conversions" orientation="right" fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={40} />
            <Tooltip contentStyle={{ borderRadius: 8, border: '1px solid #e2e8f0', fontSize: 12 }}
              formatter={(value, name) => [name === 'spend' ? formatMoney(value, campaign.currency, { cents: true }) : value, name]} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar yAxisId="spend" dataKey="spend" name="spend" fill="#c7d2fe" isAnimationActive={false} maxBarSize={18} />
            <Line yAxisId="conversions" dataKey="conversions" name="conversions" stroke="#4f46e5" dot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
