// The open sync conflicts: one field of one record changed on both sides, with both values; a
// manager keeps ours or takes theirs. A server without the route says so.
import { useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { ErrorBanner, Loading, timeAgo } from '../../components/ui.jsx';
import { conflictRecord, isMissingRoute, shownValue } from './integrations.js';

const loadConflicts = async () => (await api.get('/sync-conflicts', { params: { status: 'open', limit: 500 } })).data.items ?? [];

export default function SyncConflicts({ integrations, canManage }) {
  const { data: conflicts, setData, problem, loading, reload } = useResource(loadConflicts);
  const [actionError, setActionError] = useState(null);
  const [busy, setBusy] = useState(null);
  const nameOf = (id) => integrations.find((i) => i.id === id)?.name ?? id;
  const resolve = async (c, value) => {
    setBusy(c.id);
    try {
      await api.post(`/sync-conflicts/${c.id}/resolve`, { value });
      setData((list) => list.filter((x) => x.id !== c.id));
      setActionError(null);
    } catch (err) {
      setActionError(problemOf(err).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card" aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">Open sync conflicts</h2>
      {isMissingRoute(problem) ? (
        <p className="muted small">Sync conflicts are not available on this server.</p>
      ) : (
        <>
          <ErrorBanner message={actionError} />
          <ErrorBanner message={problem?.message} onRetry={reload} />
          {loading && !conflicts && <Loading what="Loading conflicts" />}
          {conflicts?.length === 0 && <p className="muted">None: every synced field agrees on both sides.</p>}
          {conflicts?.length > 0 && (
            <table className="responsive-table">
              <caption className="sr-only">Open sync conflicts</caption>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Field</th>
                  <th scope="col">Here</th>
                  <th scope="col">There</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {conflicts.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Record">
                      <div className="stacked-cell">
                        <span className="truncate cell-text" title={conflictRecord(c)}>
                          {conflictRecord(c)}
                        </span>
                        <span className="muted small truncate cell-text" title={nameOf(c.integration_id)}>
                          {nameOf(c.integration_id)} · {timeAgo(c.created_at)}
                        </span>
                      </div>
                    </td>
                    <td data-label="Field">
                      <code>{c.field}</code>
                    </td>
                    <td data-label="Here" className="conflict-value">
                      {shownValue(c.local_value)}
                    </td>
                    <td data-label="There" className="conflict-value">
                      {shownValue(c.remote_value)}
                    </td>
                    <td className="actions wrap-actions">
                      {canManage && (
                        <>
                          <button className="button secondary small" type="button" disabled={busy === c.id} onClick={() => resolve(c, 'local')} aria-label={`Keep ours for ${c.field} of ${conflictRecord(c)}`}>
                            Keep ours
                          </button>
                          <button className="button secondary small" type="button" disabled={busy === c.id} onClick={() => resolve(c, 'remote')} aria-label={`Take theirs for ${c.field} of ${conflictRecord(c)}`}>
                            Take theirs
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
