import { useEffect, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link, useSearchParams } from 'react-router-dom';
import { fetchTasks } from './tasksSlice.js';
import { Empty, ErrorBanner, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';

const statuses = ['', 'pending', 'queued', 'running', 'completed', 'failed', 'cancelled'];

export default function TasksPage() {
  const dispatch = useDispatch();
  const { items, nextCursor, status, error } = useSelector((s) => s.tasks);
  const agents = useSelector((s) => s.agents.items);
  const [params, setParams] = useSearchParams();
  const filters = { status: params.get('status') ?? '', type: params.get('type') ?? '', agent: params.get('agent') ?? '' };
  const [cursors, setCursors] = useState([null]); // cursor of each page seen, for "Previous"
  const [typeDraft, setTypeDraft] = useState(filters.type);
  const page = cursors.length - 1;
  const key = JSON.stringify(filters);

  useEffect(() => {
    setCursors([null]);
    dispatch(fetchTasks({ filters }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, dispatch]);

  const setFilter = (name, value) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  };
  const go = (cursor, nextCursors) => {
    setCursors(nextCursors);
    dispatch(fetchTasks({ filters, cursor }));
  };

  return (
    <>
      <PageHeader title="Tasks" subtitle="Everything the agents were asked to do" />
      <form className="filters" role="search" onSubmit={(e) => (e.preventDefault(), setFilter('type', typeDraft))}>
        <label>
          Status
          <select value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <input value={typeDraft} placeholder="e.g. echo" onChange={(e) => setTypeDraft(e.target.value)} onBlur={() => setFilter('type', typeDraft)} />
        </label>
        <label>
          Agent
          <select value={filters.agent} onChange={(e) => setFilter('agent', e.target.value)}>
            <option value="">any</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBanner message={error} onRetry={() => dispatch(fetchTasks({ filters, cursor: cursors[page] }))} />
      {status === 'loading' && items.length === 0 && <Loading what="Loading tasks" />}
      {status === 'ready' && items.length === 0 && <Empty title="No tasks match">Change the filters, or give an agent a task.</Empty>}
      {items.length > 0 && (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Tasks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">Agent</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/tasks/${t.id}`}>{t.title}</Link>
                  </td>
                  <td>
                    <code>{t.type}</code>
                  </td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td>{t.priority}</td>
                  <td>{agents.find((a) => a.id === t.assigned_agent)?.name ?? '—'}</td>
                  <td>{formatTime(t.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <button className="button secondary small" type="button" disabled={page === 0} onClick={() => go(cursors[page - 1], cursors.slice(0, -1))}>
          Previous
        </button>
        <span>Page {page + 1}</span>
        <button className="button secondary small" type="button" disabled={!nextCursor} onClick={() => go(nextCursor, [...cursors, nextCursor])}>
          Next
        </button>
      </nav>
    </>
  );
}
