import { useEffect, useRef } from 'react';
import { useSelector } from 'react-redux';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';
import { perMinuteSeries } from '../live/liveSlice.js';

const loadSummary = async () => (await api.get('/analytics/summary')).data;
const percent = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);

function Kpi({ label, value, hint }) {
  return (
    <div className="card kpi">
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
      {hint && <span className="kpi-hint">{hint}</span>}
    </div>
  );
}

export default function Dashboard() {
  const { data: summary, error, reload: load } = useResource(loadSummary);
  const perMinute = useSelector((s) => s.live.perMinute);
  const lastEventId = useSelector((s) => s.live.lastEventId);
  const recent = useSelector((s) => s.live.recent);
  const agents = useSelector((s) => s.agents.items);
  const throttle = useRef(0);

  // Live events refresh the KPIs, at most twice a second.
  useEffect(() => {
    if (lastEventId === null) return;
    const now = Date.now();
    const wait = Math.max(0, throttle.current + 500 - now);
    const timer = setTimeout(() => {
      throttle.current = Date.now();
      load();
    }, wait);
    return () => clearTimeout(timer);
  }, [lastEventId, load]);

  const series = perMinuteSeries(perMinute);
  return (
    <>
      <PageHeader title="Dashboard" subtitle="Live view of your agents and their work" />
      <ErrorBanner message={error} onRetry={load} />
      {!summary && !error && <Loading what="Loading the figures" />}
      {summary && (
        <>
          <section className="kpis" aria-label="Key figures">
            <Kpi label="Tasks" value={summary.tasks_total} hint={`${summary.tasks_by_status.running} running`} />
            <Kpi label="Success rate" value={percent(summary.success_rate)} hint="completed of finished" />
            <Kpi label="Latency p50 / p95" value={`${ms(summary.latency_ms.p50)} / ${ms(summary.latency_ms.p95)}`} hint="run time, last 1000" />
            <Kpi label="Queue depth" value={summary.queue_depth} hint="waiting for an agent" />
            <Kpi label="Pipeline value" value={summary.pipeline_value ?? '—'} hint="available with the sales agent" />
            <Kpi label="Campaign ROI" value={summary.campaign_roi ?? '—'} hint="available with the marketing agent" />
            <Kpi label="Leads scored" value={summary.leads_scored ?? '—'} hint="available with the sales agent" />
          </section>
          <section className="grid two">
            <div className="card">
              <h2>Tasks per minute</h2>
              <div className="chart" role="img" aria-label="Tasks created, completed and failed per minute over the last 30 minutes">
                <ResponsiveContainer width="100%" height={240}>
                  <BarChart data={series}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="label" interval={4} fontSize={12} />
                    <YAxis allowDecimals={false} fontSize={12} width={40} />
                    <Tooltip />
                    <Legend />
                    <Bar dataKey="created" fill="#94a3b8" isAnimationActive={false} />
                    <Bar dataKey="completed" fill="#16a34a" isAnimationActive={false} />
                    <Bar dataKey="failed" fill="#dc2626" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </div>
            <div className="card">
              <h2>Agents by status</h2>
              <ul className="bars">
                {Object.entries(summary.agents_by_status).map(([status, n]) => (
                  <li key={status}>
                    <StatusBadge status={status} />
                    <span className="bar" style={{ width: `${agents.length ? (100 * n) / agents.length : 0}%` }} aria-hidden="true" />
                    <span className="count">{n}</span>
                  </li>
                ))}
              </ul>
              <h2>Tasks by status</h2>
              <ul className="bars">
                {Object.entries(summary.tasks_by_status).map(([status, n]) => (
                  <li key={status}>
                    <StatusBadge status={status} />
                    <span className="bar" style={{ width: `${summary.tasks_total ? (100 * n) / summary.tasks_total : 0}%` }} aria-hidden="true" />
                    <span className="count">{n}</span>
                  </li>
                ))}
              </ul>
            </div>
          </section>
          <section className="card">
            <h2>Latest events</h2>
            {recent.length === 0 ? (
              <p className="muted">Events appear here as they happen.</p>
            ) : (
              <ul className="events" aria-live="polite">
                {recent.map((e) => (
                  <li key={e.id}>
                    <code>{e.topic}</code> <span>{e.name}</span> <time>{formatTime(e.ts)}</time>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}
