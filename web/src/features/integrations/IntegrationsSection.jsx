// Connected integrations: the list (type, status, last test, last sync), the connect and edit
// form per type with write-only credentials, Test in place, Sync now with its history, and the
// open sync conflicts to resolve. Managers and admins act; the others read.
import { useCallback, useState } from 'react';
import { useSelector } from 'react-redux';
import { useSearchParams } from 'react-router-dom';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, Loading, Notice, StatusBadge, closeOnEscape, formatDuration, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { blankForm, consentOutcome, fieldError, integrationBody, integrationTypes, isMissingRoute, jsonFieldErrors, runCounts, typeLabel } from './integrations.js';
import SyncConflicts from './SyncConflicts.jsx';

const loadIntegrations = async () => (await api.get('/integrations', { params: { limit: 500 } })).data.items ?? [];

// The server names config and credential fields with their group: config.base_url.
const errorOf = (fields, group, name) => fieldError(fields, `${group}.${name}`);

function IntegrationForm({ integration = null, onSaved, onCancel }) {
  const creating = !integration;
  const [form, setForm] = useState(() => blankForm(integration?.type ?? 'salesforce', integration));
  const [replacing, setReplacing] = useState({});
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const fields = problem?.fields ?? {};
  const spec = integrationTypes[form.type];
  const setGroup = (group, name) => (e) => setForm({ ...form, [group]: { ...form[group], [name]: e.target.value } });
  const save = async (e) => {
    e.preventDefault();
    if (!form.name.trim()) return setProblem({ message: 'Give the integration a name.', fields: { name: 'Give it a name, e.g. Sales Slack.' } });
    const unparsed = jsonFieldErrors(form);
    if (Object.keys(unparsed).length) return setProblem({ message: 'A field holds JSON that does not parse.', fields: unparsed });
    setBusy(true);
    try {
      const body = integrationBody(form, { creating, integration });
      const { data } = creating ? await api.post('/integrations', body) : await api.patch(`/integrations/${integration.id}`, body);
      setProblem(null);
      onSaved(data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const prefix = integration ? `integration-${integration.id}` : 'integration-new';
  const set = integration?.credentials_set ?? [];
  return (
    <form className="card integration-form" onSubmit={save} aria-label={creating ? 'Connect an integration' : `Edit ${integration.name}`} noValidate onKeyDown={closeOnEscape(onCancel)}>
      <h2>{creating ? 'Connect an integration' : `Edit ${integration.name}`}</h2>
      {problem && <ErrorBanner message={problem.message} />}
      <div className="form-grid three">
        <Field id={`${prefix}-type`} label="Type" error={fields.type}>
          {(p) => (
            <select {...p} value={form.type} disabled={!creating} onChange={(e) => setForm({ ...blankForm(e.target.value), name: form.name })}>
              {Object.entries(integrationTypes).map(([value, t]) => (
                <option key={value} value={value}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${prefix}-name`} label="Name" error={fields.name} className="span-2">
          {(p) => <input {...p} maxLength={200} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder={`e.g. ${spec.label} for sales`} />}
        </Field>
        {spec.config.map((f) => (
          <Field key={f.name} id={`${prefix}-config-${f.name}`} label={f.label} optional={f.optional} error={errorOf(fields, 'config', f.name)}>
            {(p) =>
              f.options ? (
                <select {...p} value={form.config[f.name]} onChange={setGroup('config', f.name)}>
                  {f.options.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : f.json ? (
                <textarea {...p} rows={6} spellCheck={false} value={form.config[f.name]} onChange={setGroup('config', f.name)} placeholder={f.placeholder} />
              ) : (
                <input {...p} value={form.config[f.name]} onChange={setGroup('config', f.name)} placeholder={f.placeholder} />
              )
            }
          </Field>
        ))}
      </div>
      <fieldset className="credentials">
        <legend>Credentials</legend>
        <p className="muted small">Stored encrypted and never shown again. {!creating && 'Leave one as it is, or replace it.'}</p>
        <div className="form-grid three">
          {spec.credentials.map((f) => {
            const isSet = set.includes(f.name) && !replacing[f.name];
            const id = `${prefix}-credential-${f.name}`;
            return isSet ? (
              <div className="field" key={f.name}>
                <span className="label-text">{f.label}</span>
                <span className="row credential-set">
                  <span className="badge tone-ok">
                    <Icon name="lock" size={12} /> set
                  </span>
                  <button className="button ghost small" type="button" onClick={() => setReplacing({ ...replacing, [f.name]: true })} aria-label={`Replace ${f.label}`}>
                    Replace
                  </button>
                </span>
              </div>
            ) : (
              <Field key={f.name} id={id} label={f.label} optional={f.optional} error={errorOf(fields, 'credentials', f.name)}>
                {(p) => <input {...p} type="password" autoComplete="new-password" value={form.credentials[f.name]} onChange={setGroup('credentials', f.name)} />}
              </Field>
            );
          })}
        </div>
      </fieldset>
      {!creating && (
        <label className="check">
          <input type="checkbox" checked={form.is_active} onChange={(e) => setForm({ ...form, is_active: e.target.checked })} />
          <span>Active: agents and workflows may use it</span>
        </label>
      )}
      <div className="row">
        <button className="button primary" type="submit" disabled={busy}>
          <Icon name="link" size={16} /> {busy ? 'Saving…' : creating ? 'Connect' : 'Save'}
        </button>
        <button className="button secondary" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// The answer of POST /integrations/{id}/test, where the button was pressed.
function TestResult({ result, onClose }) {
  return (
    <div className={`test-result ${result.ok ? 'test-ok' : 'test-failed'}`} role="status" aria-label="Test result">
      <strong>
        <Icon name={result.ok ? 'check' : 'alert'} size={14} /> {result.ok ? 'Connected' : 'The test failed'}
      </strong>
      {Number.isFinite(result.latency_ms) && <span className="muted small"> in {formatDuration(result.latency_ms)}</span>}
      <ul className="checks">
        {(result.checks ?? []).map((c) => (
          <li key={c.name} className={c.passed ? 'check-passed' : 'check-failed'}>
            <span aria-hidden="true">{c.passed ? '✓' : '✗'}</span> <span className="sr-only">{c.passed ? 'passed' : 'failed'}:</span> <strong>{c.name}</strong>
            {c.detail && <span className="cell-text"> {c.detail}</span>}
          </li>
        ))}
      </ul>
      <button className="button ghost small" type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

// Sync now and the runs so far; a server without the sync routes says so.
function SyncPanel({ integration, canManage }) {
  const load = useCallback(async () => (await api.get(`/integrations/${integration.id}/sync-runs`, { params: { limit: 20 } })).data.items ?? [], [integration.id]);
  const { data: runs, problem, loading, reload } = useResource(load);
  const [message, setMessage] = useState(null);
  const [actionError, setActionError] = useState(null);
  if (isMissingRoute(problem)) return <p className="muted small">Sync is not available on this server.</p>;
  const syncNow = async () => {
    try {
      await api.post(`/integrations/${integration.id}/sync`);
      setActionError(null);
      setMessage('Sync started.');
      reload();
    } catch (err) {
      const p = problemOf(err);
      setActionError(isMissingRoute(p) ? 'Sync is not available on this server.' : p.message);
    }
  };
  return (
    <section className="sync-panel" aria-label={`Sync of ${integration.name}`}>
      {canManage && (
        <div className="row">
          <button className="button secondary small" type="button" onClick={syncNow}>
            <Icon name="refresh" size={14} /> Sync now
          </button>
          <span aria-live="polite" className="small">
            {message}
          </span>
        </div>
      )}
      <ErrorBanner message={actionError} />
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !runs && <Loading what="Loading sync history" />}
      {runs?.length === 0 && <p className="muted small">No sync has run yet.</p>}
      {runs?.length > 0 && (
        <ul className="sync-runs">
          {runs.map((r) => (
            <li key={r.id}>
              <StatusBadge status={r.status} /> <span title={formatTime(r.started_at)}>{timeAgo(r.started_at)}</span>
              {r.trigger === 'schedule' && <span className="muted small"> · scheduled</span>}
              {runCounts(r).length > 0 && <span className="muted small"> · {runCounts(r).join(' · ')}</span>}
              {r.error && <span className="field-error block cell-text">{r.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function IntegrationRow({ integration: it, canManage, onChanged, onDeleted }) {
  const [open, setOpen] = useState(null); // 'edit' | 'sync' | null
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [actionError, setActionError] = useState(null);
  const test = async () => {
    setTesting(true);
    try {
      const { data } = await api.post(`/integrations/${it.id}/test`);
      setResult(data);
      setActionError(null);
      // The server recorded the outcome as the integration's last_test: show it in the row.
      const { data: fresh } = await api.get(`/integrations/${it.id}`);
      onChanged(fresh);
    } catch (err) {
      setActionError(problemOf(err).message);
    } finally {
      setTesting(false);
    }
  };
  const remove = async () => {
    try {
      await api.delete(`/integrations/${it.id}`);
      onDeleted(it);
    } catch (err) {
      setActionError(problemOf(err).message);
    }
  };
  // Salesforce's consent page; it sends the browser back to this page with the outcome.
  const consent = async () => {
    try {
      const { data } = await api.post(`/integrations/${it.id}/consent`);
      window.location.assign(data.authorize_url);
    } catch (err) {
      setActionError(problemOf(err).message);
    }
  };
  const toggle = (what) => setOpen(open === what ? null : what);
  return (
    <>
      <tr className={it.is_active === false ? 'inactive-row' : ''}>
        <td data-label="Name">
          <strong className="truncate cell-text" title={it.name}>
            {it.name}
          </strong>
        </td>
        <td data-label="Type">{typeLabel(it.type)}</td>
        <td data-label="Status">
          <StatusBadge status={it.is_active === false ? 'inactive' : 'active'} />
        </td>
        <td data-label="Last test">
          {it.last_test ? (
            <div className="stacked-cell">
              <span>
                <StatusBadge status={it.last_test.ok ? 'passed' : 'failed'} /> <span className="muted small">{timeAgo(it.last_test.at)}</span>
              </span>
              {!it.last_test.ok && it.last_test.detail && (
                <span className="muted small truncate cell-text" title={it.last_test.detail}>
                  {it.last_test.detail}
                </span>
              )}
            </div>
          ) : (
            'never'
          )}
        </td>
        <td data-label="Last sync">{it.last_sync ? <span title={formatTime(it.last_sync)}>{timeAgo(it.last_sync)}</span> : 'never'}</td>
        <td className="actions wrap-actions">
          {confirming ? (
            <span className="confirm" role="group" aria-label={`Delete ${it.name}?`} onKeyDown={closeOnEscape(() => setConfirming(false))}>
              <span className="small">Disconnect and delete its credentials?</span>
              <button className="button danger small" type="button" onClick={remove}>
                Delete
              </button>
              <button className="button secondary small" type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <>
              {canManage && (
                <button className="button secondary small" type="button" disabled={testing} onClick={test} aria-label={`Test ${it.name}`}>
                  {testing ? 'Testing…' : 'Test'}
                </button>
              )}
              {canManage && it.type === 'salesforce' && (
                <button className="button secondary small" type="button" onClick={consent} aria-label={`Sign in to Salesforce for ${it.name}`}
                  title="A person consents at Salesforce; the integration then runs on the refresh token it gives">
                  {it.credentials_set?.includes('refresh_token') ? 'Consent again' : 'Sign in to Salesforce'}
                </button>
              )}
              <button className="button ghost small" type="button" aria-expanded={open === 'sync'} onClick={() => toggle('sync')} aria-label={`Sync of ${it.name}`}>
                Sync
              </button>
              {canManage && (
                <>
                  <button className="button ghost small" type="button" aria-expanded={open === 'edit'} onClick={() => toggle('edit')} aria-label={`Edit ${it.name}`}>
                    <Icon name="edit" size={14} /> Edit
                  </button>
                  <button className="button ghost small" type="button" onClick={() => setConfirming(true)} aria-label={`Delete ${it.name}`}>
                    <Icon name="trash" size={14} /> Delete
                  </button>
                </>
              )}
            </>
          )}
        </td>
      </tr>
      {(result || actionError || open) && (
        <tr className="detail-row">
          <td colSpan={6}>
            <ErrorBanner message={actionError} />
            {result && <TestResult result={result} onClose={() => setResult(null)} />}
            {open === 'sync' && <SyncPanel integration={it} canManage={canManage} />}
            {open === 'edit' && (
              <IntegrationForm
                integration={it}
                onCancel={() => setOpen(null)}
                onSaved={(saved) => {
                  onChanged(saved);
                  setOpen(null);
                }}
              />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

export default function IntegrationsSection() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'manageIntegrations');
  const { data: integrations, setData, problem, loading, reload } = useResource(loadIntegrations);
  const [connecting, setConnecting] = useState(false);
  const [message, setMessage] = useState(null);
  const [params] = useSearchParams();
  const consented = consentOutcome(params, integrations ?? []);
  if (isMissingRoute(problem)) return <Notice>Connected integrations are not available on this server yet.</Notice>;
  return (
    <>
      {consented && <Notice tone={consented.ok ? 'ok' : 'warning'}>{consented.text}</Notice>}
      {canManage ? (
        !connecting && (
          <div className="row section-actions">
            <button className="button primary" type="button" onClick={() => setConnecting(true)}>
              <Icon name="plus" size={16} /> Connect
            </button>
          </div>
        )
      ) : (
        <Notice>Managers and administrators connect, test and sync integrations; your role can see them.</Notice>
      )}
      {connecting && (
        <IntegrationForm
          onCancel={() => setConnecting(false)}
          onSaved={(created) => {
            setConnecting(false);
            setMessage(`${created.name} was connected. Test it to check the credentials.`);
            setData((list) => [created, ...(list ?? [])]);
          }}
        />
      )}
      <div aria-live="polite" className="sr-live">
        {message && <p className="notice notice-ok">{message}</p>}
      </div>
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !integrations && <Loading what="Loading integrations" />}
      {integrations?.length === 0 && (
        <Empty title="No integrations connected" icon="link">
          {canManage ? 'Connect Slack, email, HubSpot, Salesforce, Jira or Confluence.' : 'A manager or an administrator can connect one.'}
        </Empty>
      )}
      {integrations?.length > 0 && (
        <div className="card table-card">
          <table className="responsive-table">
            <caption className="sr-only">Connected integrations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Last test</th>
                <th scope="col">Last sync</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {integrations.map((it) => (
                <IntegrationRow
                  key={it.id}
                  integration={it}
                  canManage={canManage}
                  onChanged={(next) => setData((list) => list.map((x) => (x.id === next.id ? next : x)))}
                  onDeleted={(gone) => setData((list) => list.filter((x) => x.id !== gone.id))}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {integrations && <SyncConflicts integrations={integrations} canManage={canManage} />}
    </>
  );
}
