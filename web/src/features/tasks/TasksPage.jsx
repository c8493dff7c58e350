import { useEffect, useMemo, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { allowed } from '../auth/authSlice.js';
import { fetchTasks, taskStatuses } from './tasksSlice.js';
import TaskForm from './TaskForm.jsx';
import { AgentOptions, closeOnEscape, Empty, ErrorBanner, Loading, PageHeader, StatusBadge, durationOf, formatDuration, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

export const typeFilterDelay = 300;

export default function TasksPage() {
  const dispatch = useDispatch();
  const navigate = useNavigate();
  const { items, nextCursor, status, error } = useSelector((s) => s.tasks);
  const agents = useSelector((s) => s.agents.items);
  const user = useSelector((s) => s.auth.user);
  const pollTick = useSelector((s) => s.live.pollTick);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => ({ status: params.get('status') ?? '', type: params.get('type') ?? '', agent: params.get('agent') ?? '' }), [params]);
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen, for "Previous"
  const [typeDraft, setTypeDraft] = useState(filters.type);
  const [creating, setCreating] = useState(false);
  const page = cursors.length - 1;
  const key = JSON.stringify(filters);
  const canRun = allowed(user, 'runTasks');
  const knownTypes = useMemo(() => [...new Set(agents.flatMap((a) => a.capabilities))].sort(), [agents]);
  const agentName = (id) => agents.find((a) => a.id === id)?.name ?? (id ? id.slice(0, 8) : '—');

  useEffect(() => {
    setCursors([null]);
    setTypeDraft(filters.type);
    const request = dispatch(fetchTasks({ filters }));
    return () => request.abort();
  }, [key, dispatch]); // eslint-disable-line react-hooks/exhaustive-deps

  // While live updates are down, the page refreshes with the polling tick.
  useEffect(() => {
    if (pollTick) dispatch(fetchTasks({ filters, cursor: cursors[page] }));
  }, [pollTick]); // eslint-disable-line react-hooks/exhaustive-deps

  const setFilter = (name, value) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  };
  // Typing in Type applies it as the selects apply theirs, once the typing pauses.
  useEffect(() => {
    if (typeDraft.trim() === filters.type) return undefined;
    const timer = setTimeout(() => setFilter('type', typeDraft.trim()), typeFilterDelay);
    return () => clearTimeout(timer);
  }, [typeDraft]); // eslint-disable-line react-hooks/exhaustive-deps
  const go = (cursor, nextCursors) => {
    setCursors(nextCursors);
    dispatch(fetchTasks({ filters, cursor }));
  };
  const filtered = filters.status || filters.type || filters.agent;

  return (
    <>
      <PageHeader title="Tasks" subtitle="Everything the agents were asked to do, newest first">
        {canRun && !creating && (
          <button className="button primary" type="button" onClick={() => setCreating(true)}>
            <Icon name="plus" size={16} /> New task
          </button>
        )}
      </PageHeader>
      {creating && (
        <section className="card new-task" aria-labelledby="new-task-title" onKeyDown={closeOnEscape(() => setCreating(false))}>
          <h2 id="new-task-title">New task</h2>
          <TaskForm agents={agents} knownTypes={knownTypes} submitLabel="Create task" onCancel={() => setCreating(false)} onCreated={(task) => navigate(`/tasks/${task.id}`)} />
        </section>
      )}
      <form
        className="filters card"
        role="search"
        aria-label="Filter tasks"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('type', typeDraft.trim());
        }}
      >
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any status</option>
            {taskStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-type">Type</label>
          <input id="filter-type" type="search" value={typeDraft} placeholder="e.g. sales" list="filter-types" onChange={(e) => setTypeDraft(e.target.value)} aria-describedby="filter-type-hint" />
          <span className="field-hint" id="filter-type-hint">
            Types starting with it
          </span>
          <datalist id="filter-types">
            {knownTypes.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="filter-agent">Agent</label>
          <select id="filter-agent" value={filters.agent} onChange={(e) => setFilter('agent', e.target.value)}>
            <option value="">Any agent</option>
            <AgentOptions agents={agents} />
          </select>
        </div>
        <div className="filter-actions">
          {filtered && (
            <button type="button" className="button ghost small" onClick={() => setParams(new URLSearchParams())}>
              Clear filters
            </button>
          )}
        </div>
      </form>
      <ErrorBanner message={error} onRetry={() => dispatch(fetchTasks({ filters, cursor: cursors[page] }))} />
      {status === 'loading' && items.length === 0 && <Loading what="Loading tasks" />}
      {status !== 'loading' && status !== 'error' && items.length === 0 && (
        <Empty title={filtered ? 'No tasks match these filters' : 'No tasks yet'} icon="tasks">
          {filtered ? 'Change or clear the filters.' : canRun ? 'Give an agent a task from the Agents page, or create one here.' : 'Tasks appear here as people and systems create them.'}
        </Empty>
      )}
      {items.length > 0 && (
        <div className="card table-card" aria-busy={status === 'loading'}>
          <table className="responsive-table">
            <caption className="sr-only">Tasks, newest first, page {page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">Agent</th>
                <th scope="col">Duration</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td data-label="Task">
                    <Link to={`/tasks/${t.id}`} className="strong-link truncate cell-text" title={t.title || t.type}>
                      {t.title || t.type}
                    </Link>
                  </td>
                  <td data-label="Type">
                    <code>{t.type}</code>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={t.status} />
                  </td>
                  <td data-label="Priority">
                    <span className={`priority priority-${t.priority}`}>{t.priority}</span>
                  </td>
                  <td data-label="Agent">{agentName(t.assigned_agent)}</td>
                  <td data-label="Duration" className="num">
                    {formatDuration(durationOf(t))}
                  </td>
                  <td data-label="Created">
                    <time dateTime={t.created_at} title={formatTime(t.created_at)}>
                      {timeAgo(t.created_at)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(page > 0 || nextCursor) && (
        <nav className="pager" aria-label="Pages of tasks">
          <button className="button secondary small" type="button" disabled={page === 0 || status === 'loading'} onClick={() => go(cursors[page - 1], cursors.slice(0, -1))}>
            Previous
          </button>
          <span aria-live="polite">Page {page + 1}</span>
          <button className="button secondary small" type="button" disabled={!nextCursor || status === 'loading'} onClick={() => go(nextCursor, [...cursors, nextCursor])}>
            Next
          </button>
        </nav>
      )}
    </>
  );
}
