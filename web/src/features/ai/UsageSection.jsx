// AI usage over a window (24 h, 7 days, 30 days): totals, cost and requests by day, and tables
// by model and by agent (agent ids resolved to names).
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Bar, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, problemOf } from '../../services/api.js';
import { Empty, ErrorBanner, Kpi, Loading, formatDuration, shortId } from '../../components/ui.jsx';
import { Truncated } from './parts.jsx';
import { dailySeries, formatCount, formatUsd, usageWindows, windowById, windowRange } from './prompts.js';

const colors = { cost: '#4f46e5', requests: '#0ea5e9' };

async function loadUsage(windowId) {
  const range = windowRange(windowId);
  const get = (groupBy) => api.get('/ai/usage', { params: { group_by: groupBy, ...range } }).then((r) => r.data);
  // Agent names are a nicety: without them the table shows ids.
  const agents = api
    .get('/agents', { params: { limit: 500 } })
    .then((r) => r.data.items ?? [])
    .catch(() => []);
  const [day, model, agent, agentList] = await Promise.all([get('day'), get('model'), get('agent'), agents]);
  return { range, day, model, agent, agents: agentList };
}

function WindowPicker({ value, onChange }) {
  return (
    <fieldset className="segmented">
      <legend className="sr-only">Window</legend>
      {usageWindows.map((w) => (
        <label key={w.id} className="segment">
          <input type="radio" name="usage-window" value={w.id} checked={value === w.id} onChange={() => onChange(w.id)} />
          <span>{w.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

function CostChart({ rows, windowLabel, totals }) {
  const peak = rows.reduce((best, r) => (r.cost_usd > (best?.cost_usd ?? 0) ? r : best), null);
  const requests = (n) => `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
  const summary =
    `Cost and requests by day, ${windowLabel}: ${formatUsd(totals.cost_usd)} for ${requests(totals.requests)}` +
    (peak ? `; the most on ${peak.label}, ${formatUsd(peak.cost_usd)}.` : '.');
  return (
    <section className="card chart-card" aria-labelledby="cost-title">
      <div className="card-head">
        <h3 id="cost-title">Cost by day</h3>
        <span className="muted small">{windowLabel}, UTC days</span>
      </div>
      <p className="chart-totals">
        <span>
          <span className="swatch" style={{ background: colors.cost }} aria-hidden="true" />
          <b>{formatUsd(totals.cost_usd)}</b> cost
        </span>
        <span>
          <span className="swatch line" style={{ background: colors.requests }} aria-hidden="true" />
          <b>{formatCount(totals.requests)}</b> {totals.requests === 1 ? 'request' : 'requests'}
        </span>
      </p>
      {/* A picture for the eyes; its summary is the label. Not a Tab stop (accessibilityLayer off). */}
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={230}>
          <ComposedChart data={rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" fontSize={11} tickLine={false} stroke="#64748b" minTickGap={12} />
            <YAxis yAxisId="cost" fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={62} tickFormatter={formatUsd} />
            <YAxis yAxisId="requests" orientation="right" allowDecimals={false} fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={40} />
            <Tooltip
              cursor={{ fill: 'rgba(79,70,229,0.06)' }}
              contentStyle={{ borderRadius: 8, border: '1px solid #e2e8f0', fontSize: 12 }}
              formatter={(value, name) => (name === 'cost' ? [formatUsd(value), 'cost'] : [formatCount(value), 'requests'])}
            />
            <Bar yAxisId="cost" dataKey="cost_usd" name="cost" fill={colors.cost} isAnimationActive={false} maxBarSize={28} radius={[3, 3, 0, 0]} />
            <Line yAxisId="requests" dataKey="requests" name="requests" type="linear" stroke={colors.requests} strokeWidth={2} dot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

// The figures of a usage row: heading, field, how it is written.
const usageColumns = [
  ['Requests', 'requests', formatCount],
  ['Errors', 'errors', formatCount],
  ['Tokens in', 'input_tokens', formatCount],
  ['Tokens out', 'output_tokens', formatCount],
  ['Cost', 'cost_usd', formatUsd],
  ['Avg latency', 'latency_ms_avg', formatDuration],
];

function UsageTable({ id, title, keyLabel, rows, nameOf }) {
  return (
    <section className="card table-card usage-table" aria-labelledby={id}>
      <h3 id={id} className="table-title">
        {title}
      </h3>
      {rows.length === 0 ? (
        <p className="muted table-empty">No calls in this window.</p>
      ) : (
        <table className="responsive-table">
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              {usageColumns.map(([label]) => (
                <th scope="col" key={label}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const name = nameOf(r.key);
              return (
                <tr key={r.key ?? '(none)'}>
                  <td data-label={keyLabel} className="usage-key-cell">
                    {name.muted ? <span className="muted">{name.text}</span> : <Truncated text={name.text} className={name.mono ? 'mono usage-key' : 'usage-key'} />}
                  </td>
                  {usageColumns.map(([label, field, format]) => (
                    <td key={label} data-label={label} className="num">
                      {format(r[field])}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function UsageSection() {
  const [params, setParams] = useSearchParams();
  const windowId = windowById(params.get('window')).id;
  const [state, setState] = useState({ data: null, problem: null, loading: true });
  const [attempt, setAttempt] = useState(0);
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loadUsage(windowId)
      .then((data) => mine === generation.current && setState({ data, problem: null, loading: false }))
      .catch((e) => mine === generation.current && setState((s) => ({ data: s.data, problem: problemOf(e), loading: false })));
    return () => {
      generation.current++;
    };
  }, [windowId, attempt]);

  const setWindow = (id) => {
    const next = new URLSearchParams(params);
    next.set('window', id);
    setParams(next, { replace: true });
  };

  const { data, problem, loading } = state;
  const w = windowById(windowId);
  const rows = useMemo(() => (data ? dailySeries(data.day.items, data.range.from, data.range.to) : []), [data]);
  const agentName = (key) => {
    if (key === null || key === undefined) return { text: 'no agent', muted: true };
    const agent = data?.agents.find((a) => a.id === key);
    return agent ? { text: agent.name } : { text: shortId(key), mono: true };
  };
  const totals = data?.day.totals ?? data?.model.totals;
  const unavailable = problem?.status === 404 || problem?.status === 501;

  return (
    <section aria-labelledby="usage-title" aria-busy={loading}>
      <div className="section-bar">
        <h2 id="usage-title">Usage and cost</h2>
        <WindowPicker value={windowId} onChange={setWindow} />
      </div>
      {unavailable ? (
        <Empty title="Usage is not available on this server yet" icon="sparkle" />
      ) : (
        <>
          <ErrorBanner message={problem?.message} onRetry={() => setAttempt((n) => n + 1)} title={data ? 'The figures may be out of date.' : null} />
          {loading && !data && <Loading what="Loading the usage" />}
          {data && totals && (
            <>
              <div className="kpis usage-kpis" aria-label={`Totals, ${w.short}`} role="group">
                <Kpi label="Requests" value={formatCount(totals.requests)} hint={w.short} />
                <Kpi label="Errors" value={formatCount(totals.errors)} hint={totals.requests ? `${((100 * totals.errors) / totals.requests).toFixed(1)}% of requests` : 'no requests'} />
                <Kpi label="Tokens in" value={formatCount(totals.input_tokens)} hint="prompt tokens" />
                <Kpi label="Tokens out" value={formatCount(totals.output_tokens)} hint="answer tokens" />
                <Kpi label="Cost" value={formatUsd(totals.cost_usd)} hint="from the price table" />
                <Kpi label="Avg latency" value={formatDuration(totals.latency_ms_avg)} hint="per call" />
              </div>
              {totals.requests === 0 && <p className="muted usage-none">No AI calls in this window yet: the figures fill in as agents, workflows and test runs call a model.</p>}
              <div className="usage-grid">
                <CostChart rows={rows} windowLabel={w.short} totals={totals} />
                <UsageTable id="usage-models" title="By model" keyLabel="Model" rows={data.model.items ?? []} nameOf={(key) => (key ? { text: key, mono: true } : { text: 'unknown', muted: true })} />
                <UsageTable id="usage-agents" title="By agent" keyLabel="Agent" rows={data.agent.items ?? []} nameOf={agentName} />
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}
