// The Leads page: CSV import (with the report of rejected rows), the leads sortable by score,
// and the chosen lead's factors as a chart.
import { useCallback, useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { Bar, BarChart, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { problemOf } from '../../services/api.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, Loading, Notice, PageHeader } from '../../components/ui.jsx';
import { factorBars, factorSummary, importCsv, listLeads, rejectedFromProblem } from './leads.js';

function RejectedRows({ rows }) {
  if (!rows.length) return null;
  return (
    <div className="card table-card">
      <table>
        <caption className="sr-only">Rows not imported</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Column</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.row}-${r.column}`}>
              <td>{r.row}</td>
              <td>
                <code>{r.column}</code>
              </td>
              <td>{r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ImportForm({ onImported }) {
  const [file, setFile] = useState(null);
  const [outcomeColumn, setOutcomeColumn] = useState('');
  const [idColumn, setIdColumn] = useState('');
  const [partial, setPartial] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState(null);
  const [problem, setProblem] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setReport(null);
    setProblem(null);
    try {
      const answer = await importCsv(file, { outcomeColumn, idColumn, partial });
      setReport(answer);
      onImported();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const refused = problem ? rejectedFromProblem(problem.fields) : [];
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a CSV file</h2>
      <form onSubmit={submit} className="form-grid">
        <Field id="lead-file" label="File" hint="A header row, then one lead a row; , or ; between fields">
          {(props) => <input {...props} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
        <Field id="outcome-column" label="Outcome column" optional hint="1/0, yes/no, true/false, converted/lost; empty means open">
          {(props) => <input {...props} value={outcomeColumn} onChange={(e) => setOutcomeColumn(e.target.value)} />}
        </Field>
        <Field id="id-column" label="Id column" optional hint="Importing the same id again updates the lead">
          {(props) => <input {...props} value={idColumn} onChange={(e) => setIdColumn(e.target.value)} />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={partial} onChange={(e) => setPartial(e.target.checked)} /> Keep the good rows when some are
          wrong
        </label>
        <div>
          <button type="submit" className="button" disabled={!file || busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
      {report && (
        <Notice tone={report.rejected.length ? 'info' : 'ok'}>
          {report.imported} imported, {report.updated} updated, {report.rejected.length} rejected
          {report.model_id ? ', scored by the active model.' : ', scored by the rules (no model yet).'}
        </Notice>
      )}
      {report && <RejectedRows rows={report.rejected} />}
      {problem && <ErrorBanner title="Nothing was imported" message={problem.message} />}
      <RejectedRows rows={refused} />
    </section>
  );
}

function FactorChart({ lead }) {
  const bars = factorBars(lead.score_factors);
  return (
    <section className="card chart-card" aria-labelledby="factors-title">
      <div className="card-head">
        <h3 id="factors-title">{lead.name || lead.external_id || lead.email || 'Lead'}: why this score</h3>
        <span className="muted small">
          {lead.score_method === 'model' ? 'model (log-odds)' : 'rules (points)'}
        </span>
      </div>
      {bars.length === 0 ? (
        <p className="muted">No factor: {lead.score_method === 'rules' ? 'none of the fields the rules read is set.' : 'nothing stands out.'}</p>
      ) : (
        <div className="chart" role="img" aria-label={factorSummary(lead)}>
          <ResponsiveContainer width="100%" height={40 + bars.length * 28}>
            <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }} accessibilityLayer={false}>
              <XAxis type="number" fontSize={11} stroke="#64748b" />
              <YAxis type="category" dataKey="feature" width={130} fontSize={11} stroke="#64748b" />
              <ReferenceLine x={0} stroke="#94a3b8" />
              <Tooltip formatter={(v, _n, p) => [v, `${p.payload.feature} = ${p.payload.value}${p.payload.reason ? `: ${p.payload.reason}` : ''}`]} />
              <Bar dataKey="contribution" isAnimationActive={false}>
                {bars.map((b) => (
                  <Cell key={b.feature} fill={b.contribution >= 0 ? '#16a34a' : '#dc2626'} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}

export default function LeadsPage() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'manageLeads');
  const [sort, setSort] = useState('score');
  const [state, setState] = useState({ items: [], next: null, loading: true, problem: null });
  const [selected, setSelected] = useState(null);
  const load = useCallback(
    async (cursor = null) => {
      setState((s) => ({ ...s, loading: true }));
      try {
        const page = await listLeads({ sort, cursor });
        setState((s) => ({ items: cursor ? [...s.items, ...page.items] : page.items, next: page.next_cursor, loading: false, problem: null }));
      } catch (e) {
        setState((s) => ({ ...s, loading: false, problem: problemOf(e) }));
      }
    },
    [sort],
  );
  useEffect(() => {
    load();
  }, [load]);
  const lead = state.items.find((l) => l.id === selected) ?? null;
  return (
    <>
      <PageHeader title="Leads" subtitle="Leads, their scores and what made them; import from CSV" />
      {canManage && <ImportForm onImported={() => load()} />}
      {state.problem && <ErrorBanner message={state.problem.message} onRetry={() => load()} />}
      {lead && <FactorChart lead={lead} />}
      {!state.loading && !state.problem && state.items.length === 0 ? (
        <Empty title="No leads yet" icon="users">
          Import a CSV file of leads, or create them through the API.
        </Empty>
      ) : (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Leads</caption>
            <thead>
              <tr>
                <th scope="col">Lead</th>
                <th scope="col">Company</th>
                <th scope="col">Outcome</th>
                <th scope="col" aria-sort={sort === 'score' ? 'descending' : 'none'}>
                  <button type="button" className="button link small" onClick={() => setSort(sort === 'score' ? 'created' : 'score')}>
                    Score {sort === 'score' ? '(highest first)' : '(sort)'}
                  </button>
                </th>
                <th scope="col">Grade</th>
                <th scope="col">Scored by</th>
              </tr>
            </thead>
            <tbody>
              {state.items.map((l) => (
                <tr key={l.id} aria-selected={l.id === selected}>
                  <td>
                    <button type="button" className="button link small" onClick={() => setSelected(l.id)}>
                      {l.name || l.external_id || l.email || l.id.slice(-8)}
                    </button>
                  </td>
                  <td>{l.company || '—'}</td>
                  <td>{l.outcome}</td>
                  <td>{l.score}</td>
                  <td>{l.grade}</td>
                  <td>{l.score_method === 'model' ? 'model' : 'rules'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {state.loading && <Loading what="Loading leads" />}
          {state.next && !state.loading && (
            <button type="button" className="button secondary" onClick={() => load(state.next)}>
              Load more
            </button>
          )}
        </div>
      )}
    </>
  );
}
