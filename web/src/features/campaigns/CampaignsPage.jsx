// Campaigns (docs/marketing.md): ROI and CPA per campaign and per channel, a campaign's daily
// spend against its conversions, and the budget optimiser's suggestion for the active
// campaigns, explained in words; those who manage campaigns may apply it (each campaign's
// budget set to its suggested spend, all in one request: all or nothing).
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { allowed } from '../auth/authSlice.js';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { Empty, ErrorBanner, Kpi, Loading, Notice, PageHeader, StatusBadge } from '../../components/ui.jsx';
import { formatMoney, percent } from '../pipeline/pipeline.js';
import { budgetChanges, byChannel, fromCents, metricsOf, suggestionText, toCents } from './campaigns.js';

const SpendChart = lazy(() => import('./SpendChart.jsx'));

const loadCampaigns = async () => (await api.get('/campaigns', { params: { limit: 500 } })).data.items;

const money = (amount, currency) => formatMoney(amount, currency, { cents: true });
const roiText = (roi) => (roi === null || roi === undefined ? '—' : percent(roi));

function MetricsTable({ caption, rows, first }) {
  return (
    <div className="card table-card">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col">Spend</th>
            <th scope="col">Conversions</th>
            <th scope="col">Revenue</th>
            <th scope="col">CPA</th>
            <th scope="col">ROI</th>
          </tr>
        </thead>
        <tbody>{rows}</tbody>
      </table>
    </div>
  );
}

function Suggestion({ canApply, onApplied }) {
  const [plan, setPlan] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [applied, setApplied] = useState('');
  const suggest = async () => {
    setBusy(true);
    setProblem(null);
    setApplied('');
    try {
      setPlan((await api.post('/campaigns/optimize', {})).data);
    } catch (e) {
      setProblem(problemOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const { updated } = (await api.post('/campaigns/budgets', { budgets: budgetChanges(plan) })).data;
      setApplied(`Applied: ${updated} campaign budgets changed.`);
      setPlan({ ...plan, allocations: plan.allocations.map((a) => ({ ...a, current_spend: a.spend })), current_expected: plan.expected_total });
      await onApplied();
    } catch (e) {
      setProblem(`The suggestion was not applied (no budget changed): ${problemOf(e).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="optimiser-title">
      <div className="card-head">
        <h3 id="optimiser-title">Budget optimiser</h3>
        <button type="button" className="button secondary small" onClick={suggest} disabled={busy}>
          {plan ? 'Suggest again' : 'Suggest a split'}
        </button>
      </div>
      <p className="muted small">
        The active campaigns&apos; daily budgets together, split to bring the most conversions: a diminishing-returns curve is fitted to each
        campaign&apos;s daily results.
      </p>
      <ErrorBanner message={problem} />
      <p role="status" aria-live="polite" className="small">{applied}</p>
      {plan && (
        <>
          <p>{suggestionText(plan)}</p>
          {plan.notes.map((n) => (
            <Notice key={n}>{n}</Notice>
          ))}
          <div className="table-card">
            <table>
              <caption className="sr-only">Suggested daily budgets</caption>
              <thead>
                <tr>
                  <th scope="col">Campaign</th>
                  <th scope="col">Current</th>
                  <th scope="col">Suggested</th>
                  <th scope="col">Expected {plan.objective} a day</th>
                  <th scope="col">90% interval</th>
                </tr>
              </thead>
              <tbody>
                {plan.allocations.map((a) => (
                  <tr key={a.item}>
                    <td>{a.name}</td>
                    <td>{money(a.current_spend, plan.currency)}</td>
                    <td>{money(a.spend, plan.currency)}</td>
                    <td>{a.expected}</td>
                    <td>{a.interval[0]} – {a.interval[1]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {canApply && budgetChanges(plan).length > 0 && (
            <button type="button" className="button" onClick={apply} disabled={busy}>
              Apply: set the budgets
            </button>
          )}
        </>
      )}
    </section>
  );
}

export default function CampaignsPage() {
  const user = useSelector((s) => s.auth.user);
  const { data: campaigns, problem, loading, reload } = useResource(loadCampaigns);
  const [selected, setSelected] = useState(null);
  const [days, setDays] = useState(null);
  const shown = selected ?? campaigns?.find((c) => c.totals.days > 0)?.id ?? null;
  const campaign = campaigns?.find((c) => c.id === shown);
  useEffect(() => {
    if (!shown) return undefined;
    let live = true;
    api.get(`/campaigns/${shown}/results`).then((r) => live && setDays(r.data.items), () => live && setDays([]));
    return () => {
      live = false;
    };
  }, [shown]);
  const reloadAll = useCallback(() => reload(), [reload]);

  // Totals over the USD campaigns with spend: conversions that cost nothing would flatter the CPA.
  const usd = (campaigns ?? []).filter((c) => c.currency === 'USD' && toCents(c.totals.spend) > 0);
  const total = usd.reduce(
    (t, c) => ({ spend: t.spend + toCents(c.totals.spend), revenue: t.revenue + toCents(c.totals.revenue), conversions: t.conversions + c.totals.conversions, clicks: t.clicks + c.totals.clicks, impressions: t.impressions + c.totals.impressions }),
    { spend: 0, revenue: 0, conversions: 0, clicks: 0, impressions: 0 },
  );
  const overall = metricsOf(total);
  return (
    <>
      <PageHeader title="Campaigns" subtitle="Return and cost per campaign and channel, and where the next dollar does most." />
      <ErrorBanner message={problem?.message} onRetry={reload} title={campaigns ? 'The figures may be out of date.' : null} />
      {loading && !campaigns && <Loading what="Loading the campaigns" />}
      {campaigns && campaigns.length === 0 && (
        <Empty title="No campaigns yet" icon="sparkle">
          Create campaigns and record their daily results through the API (POST /api/v1/campaigns).
        </Empty>
      )}
      {campaigns && campaigns.length > 0 && (
        <>
          <div className="kpis" role="group" aria-label="Campaign totals (USD, campaigns with spend)">
            <Kpi label="Spend" value={formatMoney(fromCents(total.spend))} hint={`${usd.length} campaigns with spend`} />
            <Kpi label="Revenue" value={formatMoney(fromCents(total.revenue))} />
            <Kpi label="ROI" value={roiText(overall.roi)} hint="(revenue − spend) / spend" />
            <Kpi label="CPA" value={overall.cpa ? money(overall.cpa) : '—'} hint={`${total.conversions} conversions`} />
          </div>
          <Suggestion canApply={allowed(user, 'manageCampaigns')} onApplied={reloadAll} />
          {campaign && days && (
            <Suspense fallback={<Loading what="Loading the chart" />}>
              <SpendChart campaign={campaign} days={days} />
            </Suspense>
          )}
          <MetricsTable
            caption="By campaign"
            first="Campaign"
            rows={campaigns.map((c) => (
              <tr key={c.id} aria-selected={c.id === shown}>
                <td>
                  <button type="button" className="button link small" onClick={() => setSelected(c.id)} aria-label={`Chart ${c.name}`}>
                    {c.name}
                  </button>{' '}
                  <StatusBadge status={c.status} /> <span className="muted small campaign-meta">{c.channel} · budget {money(c.budget, c.currency)}/day</span>
                </td>
                <td>{money(c.totals.spend, c.currency)}</td>
                <td>{c.totals.conversions}</td>
                <td>{money(c.totals.revenue, c.currency)}</td>
                <td>{c.metrics.cpa ? money(c.metrics.cpa, c.currency) : '—'}</td>
                <td>{roiText(c.metrics.roi)}</td>
              </tr>
            ))}
          />
          <MetricsTable
            caption="By channel"
            first="Channel"
            rows={byChannel(campaigns).map((r) => (
              <tr key={`${r.channel} ${r.currency}`}>
                <td>
                  {r.channel} <span className="muted small">{r.campaigns} campaigns, {r.currency}</span>
                </td>
                <td>{money(r.spend, r.currency)}</td>
                <td>{r.conversions}</td>
                <td>{money(r.revenue, r.currency)}</td>
                <td>{r.metrics.cpa ? money(r.metrics.cpa, r.currency) : '—'}</td>
                <td>{roiText(r.metrics.roi)}</td>
              </tr>
            ))}
          />
        </>
      )}
    </>
  );
}
