import { useCallback, useRef, useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { Empty, ErrorBanner, Field, JsonView, Loading, PageHeader, StatusBadge, formatTime, shortId } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

// The groups of actions an admin looks for most (docs/security.md, "Audit log").
export const actionGroups = [
  { prefix: 'auth.', label: 'Sign-ins' },
  { prefix: 'users.', label: 'Users and roles' },
  { prefix: 'api_keys.', label: 'API keys' },
  { prefix: 'ai_providers.', label: 'AI provider keys' },
  { prefix: 'integrations.', label: 'Integrations' },
  { prefix: 'webhook_subscriptions.', label: 'Webhook subscriptions' },
  { prefix: 'workflow_approvals.', label: 'Workflow approvals' },
  { prefix: 'tool_approvals.', label: 'Tool approvals' },
];

const pageSize = 50;
const noFilters = { action_prefix: '', actor: '', since: '' };

// The API's query for the filters: empty ones left out, the day as the start of that day (local).
export function auditQuery(filters) {
  const query = {};
  if (filters.action_prefix) query.action_prefix = filters.action_prefix;
  if (filters.actor.trim()) query.actor = filters.actor.trim();
  if (filters.since) query.since = new Date(`${filters.since}T00:00:00`).toISOString();
  return query;
}

function actorOf(entry) {
  if (entry.actor_type === 'anonymous') return 'anonymous';
  if (entry.actor_type === 'system') return 'the system';
  return entry.actor_email ?? shortId(entry.actor_id);
}

function AuditRow({ entry }) {
  const [open, setOpen] = useState(false);
  const hasDetails = entry.details && Object.keys(entry.details).length > 0;
  return (
    <>
      <tr>
        <td data-label="When">{formatTime(entry.at)}</td>
        <td data-label="Who" className="wrap-cell">
          <span className="cell-text">{actorOf(entry)}</span>
          {entry.api_key_id && <span className="small muted"> with API key {shortId(entry.api_key_id)}</span>}
        </td>
        <td data-label="Action">
          <code>{entry.action}</code>
        </td>
        <td data-label="Target" className="wrap-cell">{entry.target_type ? `${entry.target_type} ${shortId(entry.target_id)}` : '—'}</td>
        <td data-label="Outcome">
          <StatusBadge status={entry.outcome} />
        </td>
        <td data-label="From">{entry.actor_ip ?? '—'}</td>
        <td className="actions">
          {hasDetails && (
            <button className="button ghost small" type="button" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`Details of ${entry.action} at ${formatTime(entry.at)}`}>
              {open ? 'Hide' : 'Details'}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={7}>
            <JsonView value={entry.details} label={`Details of ${entry.action}`} />
            {entry.request_id && <p className="small muted">Request {entry.request_id} (as in the server log)</p>}
          </td>
        </tr>
      )}
    </>
  );
}

// Admins only (the route and the API both check): who did what, newest first, with the
// filters the API offers and an export of what they select as JSON lines.
export default function AuditPage() {
  const [draft, setDraft] = useState(noFilters);
  const [filters, setFilters] = useState(noFilters);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [actionProblem, setActionProblem] = useState(null); // of loading older entries or exporting
  const [exporting, setExporting] = useState(false);
  const shownFilters = useRef(filters);
  const loadFirst = useCallback(async () => (await api.get('/audit', { params: { ...auditQuery(filters), limit: pageSize } })).data, [filters]);
  const { data, setData, problem: listProblem, loading, reload } = useResource(loadFirst);
  shownFilters.current = filters;
  const entries = data?.items ?? null;

  // The next page is appended, unless the filters changed while it was on its way.
  const loadOlder = async () => {
    const asked = filters;
    setLoadingOlder(true);
    setActionProblem(null);
    try {
      const { data: page } = await api.get('/audit', { params: { ...auditQuery(asked), limit: pageSize, cursor: data.next_cursor } });
      if (shownFilters.current === asked) setData((shown) => ({ items: [...shown.items, ...page.items], next_cursor: page.next_cursor ?? null }));
    } catch (err) {
      setActionProblem(problemOf(err));
    } finally {
      setLoadingOlder(false);
    }
  };

  const exportLines = async () => {
    setExporting(true);
    setActionProblem(null);
    try {
      const { data } = await api.get('/audit/export', { params: auditQuery(filters), responseType: 'blob' });
      const url = URL.createObjectURL(data);
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-${new Date().toISOString().slice(0, 10)}.jsonl`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setActionProblem(problemOf(err));
    } finally {
      setExporting(false);
    }
  };

  const filtered = filters.action_prefix || filters.actor.trim() || filters.since;
  return (
    <>
      <PageHeader title="Audit log" subtitle="Who did what, from where, with what outcome: append-only, newest first">
        <button className="button secondary" type="button" onClick={exportLines} disabled={exporting}>
          <Icon name="copy" size={16} /> {exporting ? 'Exporting…' : 'Export JSON lines'}
        </button>
      </PageHeader>
      <form
        className="filters card"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <Field id="audit-action" label="Action">
          {(props) => (
            <select {...props} value={draft.action_prefix} onChange={(e) => setDraft({ ...draft, action_prefix: e.target.value })}>
              <option value="">Every action</option>
              {actionGroups.map((g) => (
                <option key={g.prefix} value={g.prefix}>
                  {g.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="audit-actor" label="Who" hint="An email, a user id or an API key id">
          {(props) => <input {...props} value={draft.actor} maxLength={200} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />}
        </Field>
        <Field id="audit-since" label="Since">
          {(props) => <input {...props} type="date" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />}
        </Field>
        <div className="row">
          <button className="button primary" type="submit">
            Apply
          </button>
          {filtered && (
            <button
              className="button ghost"
              type="button"
              onClick={() => {
                setDraft(noFilters);
                setFilters(noFilters);
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      <ErrorBanner message={listProblem?.message} onRetry={reload} />
      <ErrorBanner message={actionProblem?.message} />
      {loading && !entries && <Loading what="Loading the audit log" />}
      {entries?.length === 0 && (
        <Empty title={filtered ? 'Nothing matches these filters' : 'Nothing recorded yet'} icon="lock">
          Sign-ins, role changes, keys, credentials, approvals and deletions are recorded here as they happen.
        </Empty>
      )}
      {entries?.length > 0 && (
        <div className="card table-card">
          <table className="responsive-table">
            <caption className="sr-only">Audit log entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <AuditRow key={entry.id} entry={entry} />
              ))}
            </tbody>
          </table>
          {data.next_cursor && (
            <div className="row">
              <button className="button secondary" type="button" onClick={loadOlder} disabled={loadingOlder}>
                {loadingOlder ? 'Loading…' : 'Show older entries'}
              </button>
            </div>
          )}
        </div>
      )}
    </>
  );
}
