// The lead models page: train a model (columns to leave out, activation), each model's status,
// its evaluation on the hold-out (figures, calibration plot), the importance of each column,
// and activation (also a roll-back to an earlier model).
import { useCallback, useState } from 'react';
import { useSelector } from 'react-redux';
import {
  Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from 'recharts';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';
import { calibrationPoints, columnList, decimal, percent } from './leads.js';

const loadModels = () => api.get('/lead-models', { params: { limit: 100 } }).then((r) => r.data.items);

function TrainForm({ onStarted }) {
  const [exclude, setExclude] = useState('');
  const [activate, setActivate] = useState('auto');
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const body = { exclude: columnList(exclude), activate: activate === 'auto' ? 'auto' : activate === 'true' };
      onStarted((await api.post('/lead-models', body)).data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="train-title">
      <h2 id="train-title">Train a model</h2>
      <form onSubmit={submit} className="form-grid">
        <Field id="exclude" label="Leave out" optional hint="Columns known only once the outcome is (leaks), comma-separated" error={problem?.fields?.exclude}>
          {(props) => <input {...props} value={exclude} onChange={(e) => setExclude(e.target.value)} placeholder="duration" />}
        </Field>
        <Field id="activate" label="Activate">
          {(props) => (
            <select {...props} value={activate} onChange={(e) => setActivate(e.target.value)}>
              <option value="auto">if at least as good as the active model</option>
              <option value="true">yes</option>
              <option value="false">no</option>
            </select>
          )}
        </Field>
        <div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Starting…' : 'Train'}
          </button>
        </div>
      </form>
      {problem && !problem.fields?.exclude && <ErrorBanner message={problem.message} />}
    </section>
  );
}

function Figures({ evaluation }) {
  const figures = [
    ['ROC-AUC', decimal(evaluation.roc_auc)],
    ['Accuracy', percent(evaluation.accuracy)],
    ['Precision', percent(evaluation.precision)],
    ['Recall', percent(evaluation.recall)],
    ['F1', decimal(evaluation.f1)],
    ['Brier score', decimal(evaluation.brier)],
    ['Threshold', decimal(evaluation.threshold)],
  ];
  return (
    <dl className="kpis" aria-label="Evaluation on the hold-out">
      {figures.map(([label, value]) => (
        <div key={label} className="card kpi">
          <dt className="kpi-label">{label}</dt>
          <dd className="kpi-value">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function CalibrationPlot({ evaluation }) {
  const points = calibrationPoints(evaluation);
  const summary = `Calibration on ${evaluation.rows} held-out leads: ${points
    .map((p) => `${p.bin}: predicted ${percent(p.predicted)}, observed ${percent(p.observed)} (${p.count} leads)`)
    .join('; ')}.`;
  return (
    <section className="card chart-card" aria-labelledby="calibration-title">
      <h3 id="calibration-title">Calibration</h3>
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={240}>
          <LineChart data={points} margin={{ top: 8, right: 16, left: 0, bottom: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="predicted" type="number" domain={[0, 1]} fontSize={11} stroke="#64748b" />
            <YAxis type="number" domain={[0, 1]} fontSize={11} stroke="#64748b" />
            <Tooltip />
            <Line dataKey="predicted" name="perfect" stroke="#94a3b8" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
            <Line dataKey="observed" name="observed" stroke="#4f46e5" isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

function Importance({ importance }) {
  const rows = importance.slice(0, 15).map((i) => ({ column: i.column, share: Math.round(i.share * 1000) / 10 }));
  const summary = `Importance (share of the trees' gain): ${rows.map((r) => `${r.column} ${r.share} %`).join(', ')}.`;
  return (
    <section className="card chart-card" aria-labelledby="importance-title">
      <h3 id="importance-title">Importance</h3>
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={40 + rows.length * 24}>
          <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }} accessibilityLayer={false}>
            <XAxis type="number" fontSize={11} stroke="#64748b" unit=" %" />
            <YAxis type="category" dataKey="column" width={130} fontSize={11} stroke="#64748b" />
            <Tooltip />
            <Bar dataKey="share" fill="#4f46e5" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

function ModelDetail({ model, canManage, onActivated }) {
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const activate = async () => {
    setBusy(true);
    setProblem(null);
    try {
      onActivated((await api.post(`/lead-models/${model.id}/activate`)).data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="model-title">
      <div className="card-head">
        <h2 id="model-title">Model {model.id.slice(-8)}</h2>
        {canManage && model.status === 'ready' && !model.active && (
          <button type="button" className="button" onClick={activate} disabled={busy}>
            {busy ? 'Activating…' : 'Activate (scores every open lead again)'}
          </button>
        )}
      </div>
      {problem && <ErrorBanner message={problem.message} />}
      {model.status === 'failed' && <ErrorBanner title="Training failed" message={model.error} />}
      {model.status === 'training' && <Loading what="Training" />}
      {model.status === 'ready' && (
        <>
          <p className="muted">
            {model.columns.length} columns used ({model.columns.map((c) => `${c.name}: ${c.kind}`).join(', ')}); left out:{' '}
            {model.ignored_columns.map((c) => `${c.name} (${c.reason})`).join(', ') || 'none'}. {model.trees} trees, trained on{' '}
            {model.training_rows} leads; evaluated on {model.evaluation.rows} held out.
          </p>
          <Figures evaluation={model.evaluation} />
          <CalibrationPlot evaluation={model.evaluation} />
          <Importance importance={model.importance} />
        </>
      )}
    </section>
  );
}

export default function ModelsPage() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'manageLeads');
  const load = useCallback(loadModels, []);
  const { data: models, setData, problem, loading, reload } = useResource(load);
  const [selected, setSelected] = useState(null);
  const replace = (m) => setData((list) => (list.some((x) => x.id === m.id) ? list : [m, ...list]).map((x) => (x.id === m.id ? m : { ...x, active: m.active ? false : x.active })));
  const chosen = models?.find((m) => m.id === selected) ?? models?.find((m) => m.active) ?? null;
  return (
    <>
      <PageHeader title="Lead models" subtitle="Gradient-boosted trees trained on the leads with a known outcome, and how well they do">
        <button type="button" className="button secondary" onClick={reload}>
          Refresh
        </button>
      </PageHeader>
      {canManage && (
        <TrainForm
          onStarted={(m) => {
            replace(m);
            setSelected(m.id);
          }}
        />
      )}
      {problem && <ErrorBanner message={problem.message} onRetry={reload} />}
      {loading && !models && <Loading what="Loading models" />}
      {models && models.length === 0 && (
        <Empty title="No model yet" icon="sparkle">
          Leads are scored by the rules until a model is trained on leads whose outcome is known.
        </Empty>
      )}
      {models && models.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Lead models</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">ROC-AUC</th>
                <th scope="col">Left out</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.id} aria-selected={m.id === chosen?.id}>
                  <td>
                    <button type="button" className="button link small" onClick={() => setSelected(m.id)}>
                      {m.id.slice(-8)}
                    </button>
                    {m.active && <StatusBadge status="active" />}
                  </td>
                  <td>
                    <StatusBadge status={m.status === 'ready' ? 'completed' : m.status === 'training' ? 'running' : 'failed'} />
                    <span className="sr-only">{m.status}</span>
                  </td>
                  <td>{m.evaluation ? decimal(m.evaluation.roc_auc) : '—'}</td>
                  <td>{m.exclude.join(', ') || '—'}</td>
                  <td>{formatTime(m.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {chosen && <ModelDetail model={chosen} canManage={canManage} onActivated={replace} />}
    </>
  );
}
