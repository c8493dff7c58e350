// One subscription's delivery log, newest first, filtered by status ("dead" is the
// dead-letter list), with Redeliver. Refreshed every 5 s while open: retries happen on the
// server's schedule and are not events on the live socket.
import { useCallback, useEffect, useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { ErrorBanner, Loading, StatusBadge, formatDuration, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

export const deliveryFilters = [
  { value: '', label: 'All' },
  { value: 'retrying', label: 'Retrying' },
  { value: 'dead', label: 'Dead letters' },
  { value: 'delivered', label: 'Delivered' },
];
const refreshMs = 5000;
const pageSize = 100;

export default function DeliveryLog({ subscription }) {
  const [status, setStatus] = useState('');
  const [older, setOlder] = useState({ items: [], cursor: null });
  const [actionError, setActionError] = useState(null);
  const [redelivering, setRedelivering] = useState(null);
  const load = useCallback(async () => {
    const params = { limit: pageSize };
    if (status) params.status = status;
    const { data } = await api.get(`/webhook-subscriptions/${subscription.id}/deliveries`, { params });
    return data;
  }, [subscription.id, status]);
  const { data, setData, problem, loading, reload } = useResource(load);
  useEffect(() => {
    setOlder({ items: [], cursor: null });
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload]);

  const cursor = older.cursor ?? data?.next_cursor;
  const loadOlder = async () => {
    try {
      const params = { limit: pageSize, cursor };
      if (status) params.status = status;
      const { data: page } = await api.get(`/webhook-subscriptions/${subscription.id}/deliveries`, { params });
      setOlder((o) => ({ items: [...o.items, ...(page.items ?? [])], cursor: page.next_cursor ?? '' }));
    } catch (err) {
      setActionError(problemOf(err).message);
    }
  };
  const redeliver = async (d) => {
    setRedelivering(d.id);
    try {
      const { data: next } = await api.post(`/webhook-subscriptions/${subscription.id}/deliveries/${d.id}/redeliver`);
      const swap = (list) => list.map((x) => (x.id === next.id ? next : x));
      setData((page) => ({ ...page, items: swap(page.items ?? []) }));
      setOlder((o) => ({ ...o, items: swap(o.items) }));
      setActionError(null);
    } catch (err) {
      setActionError(problemOf(err).message);
    } finally {
      setRedelivering(null);
    }
  };

  const deliveries = [...(data?.items ?? []), ...older.items];
  const filterId = `delivery-filter-${subscription.id}`;
  return (
    <section className="delivery-log" aria-label={`Deliveries of ${subscription.url}`}>
      <div className="row delivery-log-head">
        <label htmlFor={filterId}>Show</label>
        <select id={filterId} value={status} onChange={(e) => setStatus(e.target.value)}>
          {deliveryFilters.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
        <button className="button ghost small" type="button" onClick={reload}>
          <Icon name="refresh" size={14} /> Refresh
        </button>
        {subscription.status === 'paused' && <span className="muted small">Paused: nothing is sent, retries wait too.</span>}
      </div>
      <ErrorBanner message={actionError} />
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !data && <Loading what="Loading deliveries" />}
      {data && deliveries.length === 0 && <p className="muted">{status ? 'No deliveries with this status.' : 'No deliveries yet: they appear when an event of its topics happens.'}</p>}
      {deliveries.length > 0 && (
        <table className="responsive-table deliveries">
          <caption className="sr-only">Deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next attempt</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td data-label="Event">
                  <code className="cell-text">{d.topic}</code>
                  <span className="muted small block" title={formatTime(d.created_at)}>
                    {d.webhook_id} · {timeAgo(d.created_at)}
                  </span>
                </td>
                <td data-label="Status">
                  <StatusBadge status={d.status} />
                </td>
                <td data-label="Attempts">{d.attempts}</td>
                <td data-label="Last answer">
                  <span className="cell-text">{d.response_status ? `HTTP ${d.response_status}` : d.status === 'delivered' ? '—' : 'no answer'}</span>
                  {d.error && <span className="muted small block cell-text">{d.error}</span>}
                  {d.duration_ms > 0 && <span className="muted small block">{formatDuration(d.duration_ms)}</span>}
                </td>
                <td data-label="Next attempt">{d.status === 'retrying' ? formatTime(d.next_attempt_at) : '—'}</td>
                <td className="actions wrap-actions">
                  <button className="button secondary small" type="button" disabled={redelivering === d.id} onClick={() => redeliver(d)} aria-label={`Redeliver ${d.webhook_id}`}>
                    <Icon name="send" size={14} /> Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button className="button ghost small" type="button" onClick={loadOlder}>
          Older deliveries
        </button>
      )}
    </section>
  );
}
