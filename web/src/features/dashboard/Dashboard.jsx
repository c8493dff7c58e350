import { useMemo } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link } from 'react-router-dom';
import { Area, AreaChart, Bar, CartesianGrid, Cell, ComposedChart, Line, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ErrorBanner, Kpi, Loading, PageHeader, StatusBadge, timeAgo } from '../../components/ui.jsx';
import { perMinuteSeries, windowMinutes } from '../live/liveSlice.js';
import { fetchSummary } from './dashboardSlice.js';

const colors = { created: '#94a3b8', completed: '#16a34a', failed: '#dc2626', cancelled: '#a8a29e', queue: '#4f46e5', running: '#0ea5e9' };
const agentStatuses = ['idle', 'busy', 'paused', 'stopped', 'offline', 'error'];

const blank = (v) => v === null || v === undefined || Number.isNaN(v);
const percent = (v) => (blank(v) ? '—' : `${(v * 100).toFixed(v === 1 || v === 0 ? 0 : 1)}%`);
const ms = (v) => (blank(v) ? '—' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);
const number = (v) => (blank(v) ? '—' : Number(v).toLocaleString());
const money = (v) => (blank(v) ? '—' : Number(v).toLocaleString(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }));

function BusinessKpi({ label, value, format, needs, hint = null }) {
  const missing = blank(value);
  return (
    <div className={`card kpi business${missing ? ' pending' : ''}`}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{missing ? '—' : format(value)}</span>
      <span className="kpi-hint">{missing ? `Available when the ${needs} agent is enabled` : hint ?? `from the ${needs} agent`}</span>
    </div>
  );
}

function TasksPerMinute() {
  const perMinute = useSelector((s) => s.live.perMinute);
  const lastEventId = useSelector((s) => s.live.lastEventId);
  const rows = useMemo(() => perMinuteSeries(perMinute), [perMinute, lastEventId]); // eslint-disable-line react-hooks/exhaustive-deps
  const totals = rows.reduce((t, r) => ({ created: t.created + r.created, completed: t.completed + r.completed, failed: t.failed + r.failed, cancelled: t.cancelled + r.cancelled }), { created: 0, completed: 0, failed: 0, cancelled: 0 });
  return (
    <section className="card chart-card span-2" aria-labelledby="tpm-title">
      <div className="card-head">
        <h2 id="tpm-title">Tasks per minute</h2>
        <span className="muted small">last {windowMinutes} minutes</span>
      </div>
      <p className="chart-totals">
        {['completed', 'failed', 'cancelled', 'created'].map((kind) => (
          <span key={kind}>
            <span className={`swatch${kind === 'created' ? ' line' : ''}`} style={{ background: kind === 'created' ? colors.queue : colors[kind] }} aria-hidden="true" />
            <b>{totals[kind]}</b> {kind}
          </span>
        ))}
      </p>
      <div className="chart" role="img" aria-label={`Tasks per minute over the last ${windowMinutes} minutes: ${totals.created} created, ${totals.completed} completed, ${totals.failed} failed, ${totals.cancelled} cancelled.`}>
        <ResponsiveContainer width="100%" height={230}>
          <ComposedChart data={rows} margin={{ top: 8, right: 8, left: -12, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" interval={5} fontSize={11} tickLine={false} stroke="#64748b" />
            <YAxis allowDecimals={false} fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={44} />
            <Tooltip cursor={{ fill: 'rgba(79,70,229,0.06)' }} contentStyle={{ borderRadius: 8, border: '1px solid #e2e8f0', fontSize: 12 }} />
            <Bar dataKey="completed" stackId="done" fill={colors.completed} isAnimationActive={false} maxBarSize={18} />
            <Bar dataKey="failed" stackId="done" fill={colors.failed} isAnimationActive={false} maxBarSize={18} />
            <Bar dataKey="cancelled" stackId="done" fill={colors.cancelled} isAnimationActive={false} maxBarSize={18} radius={[3, 3, 0, 0]} />
            <Line dataKey="created" type="monotone" stroke={colors.queue} strokeWidth={2} dot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

function SuccessRate({ summary }) {
  const completed = summary.tasks_by_status?.completed ?? 0;
  const failed = summary.tasks_by_status?.failed ?? 0;
  const data = completed + failed ? [{ name: 'completed', value: completed }, { name: 'failed', value: failed }] : [{ name: 'none', value: 1 }];
  return (
    <section className="card chart-card" aria-labelledby="success-title">
      <div className="card-head">
        <h2 id="success-title">Success rate</h2>
        <span className="muted small">completed of finished</span>
      </div>
      <div className="donut" role="img" aria-label={`Success rate ${percent(summary.success_rate)}: ${completed} completed, ${failed} failed.`}>
        <ResponsiveContainer width="100%" height={200}>
          <PieChart accessibilityLayer={false}>
            <Pie data={data} dataKey="value" nameKey="name" innerRadius={62} outerRadius={84} startAngle={90} endAngle={-270} stroke="none" isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.name} fill={d.name === 'none' ? '#e2e8f0' : colors[d.name]} />
              ))}
            </Pie>
          </PieChart>
        </ResponsiveContainer>
        <div className="donut-center">
          <span className="donut-value">{percent(summary.success_rate)}</span>
          <span className="muted small">{completed + failed} finished</span>
        </div>
      </div>
      <ul className="legend-list">
        <li><span className="swatch" style={{ background: colors.completed }} aria-hidden="true" /> {number(completed)} completed</li>
        <li><span className="swatch" style={{ background: colors.failed }} aria-hidden="true" /> {number(failed)} failed</li>
      </ul>
    </section>
  );
}

function AgentsByStatus({ summary }) {
  const counts = summary.agents_by_status ?? {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <section className="card" aria-labelledby="abs-title">
      <div className="card-head">
        <h2 id="abs-title">Agents by status</h2>
        <Link to="/agents" className="small">
          View agents
        </Link>
      </div>
      <ul className="bars">
        {agentStatuses.map((status) => {
          const n = counts[status] ?? 0;
          return (
            <li key={status}>
              <StatusBadge status={status} />
              <span className="bar-track" aria-hidden="true">
                <span className={`bar bar-${status}`} style={{ width: `${total ? (100 * n) / total : 0}%` }} />
              </span>
              <span className="count">{n}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function QueueTrend({ summary }) {
  const samples = useSelector((s) => s.dashboard.samples);
  const rows = samples.map((s) => ({ ...s, label: new Date(s.t).toLocaleTimeString() }));
  return (
    <section className="card chart-card" aria-labelledby="queue-title">
      <div className="card-head">
        <h2 id="queue-title">Queue depth</h2>
        <span className="muted small">{number(summary.queue_depth)} waiting · {number(summary.tasks_by_status?.running)} running</span>
      </div>
      <div className="chart" role="img" aria-label={`Queue depth now ${summary.queue_depth}, ${summary.tasks_by_status?.running ?? 0} tasks running.`}>
        <ResponsiveContainer width="100%" height={170}>
          <AreaChart data={rows} margin={{ top: 8, right: 8, left: -12, bottom: 0 }} accessibilityLayer={false}>
            <defs>
              <linearGradient id="queueFill" x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor={colors.queue} stopOpacity={0.25} />
                <stop offset="100%" stopColor={colors.queue} stopOpacity={0} />
              </linearGradient>
            </defs>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="label" hide />
            <YAxis allowDecimals={false} fontSize={11} tickLine={false} axisLine={false} stroke="#64748b" width={44} />
            <Tooltip contentStyle={{ borderRadius: 8, border: '1px solid #e2e8f0', fontSize: 12 }} />
            <Area dataKey="queue" name="queued" type="stepAfter" stroke={colors.queue} fill="url(#queueFill)" strokeWidth={2} isAnimationActive={false} />
            <Area dataKey="running" name="running" type="stepAfter" stroke={colors.running} fill="transparent" strokeWidth={1.5} isAnimationActive={false} />
          </AreaChart>
        </ResponsiveContainer>
      </div>
      <p className="muted small">Sampled while this session is open.</p>
    </section>
  );
}

const topicLabel = (topic) => topic.replace('.', ' ').replace('_', ' ');

function LatestEvents() {
  const recent = useSelector((s) => s.live.recent);
  return (
    <section className="card" aria-labelledby="events-title">
      <div className="card-head">
        <h2 id="events-title">Latest events</h2>
      </div>
      {recent.length === 0 ? (
        <p className="muted">Events appear here as they happen.</p>
      ) : (
        <ul className="events" aria-live="polite" aria-relevant="additions">
          {recent.slice(0, 10).map((e) => (
            <li key={e.id ?? `${e.topic}-${e.ts}`}>
              <span className={`event-topic topic-${e.topic.split('.')[0]}`}>{topicLabel(e.topic)}</span>
              <span className="event-name">
                {e.topic.startsWith('tasks.') && e.ref ? <Link to={`/tasks/${e.ref}`}>{e.name || e.ref.slice(0, 8)}</Link> : e.name}
              </span>
              <time dateTime={e.ts} className="muted small">
                {timeAgo(e.ts)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// Waiting tasks that no running agent can take (the summary's stalled_queue), by type.
export function StalledQueue({ rows }) {
  if (!rows?.length) return null;
  return (
    <section className="card stalled" aria-labelledby="stalled-title">
      <h2 id="stalled-title">Waiting with no agent to run them</h2>
      <ul className="stalled-list">
        {rows.map((r) => (
          <li key={r.type}>
            <Link to={`/tasks?type=${encodeURIComponent(r.type)}&status=queued`} className="wrap-anywhere">
              <code>{r.type}</code>
            </Link>{' '}
            <b>{number(r.waiting)}</b> waiting: {r.code === 'agent_stopped' ? <>its agent is stopped (<Link to="/agents">start it</Link>)</> : 'no agent can run this type'}
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function Dashboard() {
  const dispatch = useDispatch();
  const { summary, error } = useSelector((s) => s.dashboard);
  const agents = useSelector((s) => s.agents.items);
  const active = agents.filter((a) => a.status === 'idle' || a.status === 'busy').length;
  return (
    <>
      <PageHeader title="Dashboard" subtitle="Live view of your agents and their work" />
      <ErrorBanner message={error} onRetry={() => dispatch(fetchSummary())} title={summary ? 'The figures may be out of date.' : null} />
      {!summary && !error && <Loading what="Loading the figures" />}
      {summary && (
        <>
          <section className="kpis" aria-label="Key figures">
            <Kpi label="Tasks" value={number(summary.tasks_total)} hint={`${number(summary.tasks_by_status?.running)} running now`} />
            <Kpi label="Success rate" value={percent(summary.success_rate)} hint="completed of finished" accent="ok" />
            <Kpi label="Latency p50" value={ms(summary.latency_ms?.p50)} hint="median run time" />
            <Kpi label="Latency p95" value={ms(summary.latency_ms?.p95)} hint="95th percentile" />
            <Kpi label="Queue depth" value={number(summary.queue_depth)} hint="waiting for an agent" accent={summary.queue_depth > 0 ? 'warn' : null} />
            <Kpi label="Agents active" value={`${active} / ${agents.length}`} hint="idle or busy" />
          </section>
          <StalledQueue rows={summary.stalled_queue} />
          <div className="dash-grid">
            <TasksPerMinute />
            <SuccessRate summary={summary} />
            <AgentsByStatus summary={summary} />
            <QueueTrend summary={summary} />
            <LatestEvents />
          </div>
          <section aria-labelledby="business-title" className="business-section">
            <h2 id="business-title" className="section-title">
              Business
            </h2>
            <div className="kpis three">
              <BusinessKpi
                label="Pipeline value"
                value={summary.pipeline_value}
                format={money}
                needs="sales"
                hint={blank(summary.weighted_pipeline_value) ? null : <Link to="/pipeline">{money(summary.weighted_pipeline_value)} weighted</Link>}
              />
              <BusinessKpi label="Campaign ROI" value={summary.campaign_roi} format={percent} needs="marketing" />
              <BusinessKpi label="Leads scored" value={summary.leads_scored} format={number} needs="sales" />
            </div>
          </section>
        </>
      )}
    </>
  );
}
