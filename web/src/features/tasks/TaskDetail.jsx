import { useEffect, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link, useParams } from 'react-router-dom';
import { allowed } from '../auth/authSlice.js';
import { fetchTask, taskAction } from './tasksSlice.js';
import { ErrorBanner, JsonView, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';

export default function TaskDetail() {
  const { id } = useParams();
  const dispatch = useDispatch();
  const task = useSelector((s) => s.tasks.byId[id]);
  const user = useSelector((s) => s.auth.user);
  const agents = useSelector((s) => s.agents.items);
  const [error, setError] = useState(null);
  useEffect(() => {
    dispatch(fetchTask(id)).then((r) => setError(r.error ? r.payload?.message : null));
  }, [id, dispatch]);
  const act = async (action) => {
    const r = await dispatch(taskAction({ id, action }));
    setError(r.error ? r.payload?.message : null);
  };
  if (!task) return error ? <ErrorBanner message={error} /> : <Loading what="Loading the task" />;
  const canRun = allowed(user, 'runTasks');
  const open = ['pending', 'queued', 'running'].includes(task.status);
  return (
    <>
      <PageHeader title={task.title} subtitle={<code>{task.id}</code>}>
        {canRun && open && (
          <button className="button secondary" type="button" onClick={() => act('cancel')}>
            Cancel
          </button>
        )}
        {canRun && (task.status === 'failed' || task.status === 'cancelled') && (
          <button className="button primary" type="button" onClick={() => act('retry')}>
            Retry
          </button>
        )}
      </PageHeader>
      <p>
        <Link to="/tasks">← All tasks</Link>
      </p>
      <ErrorBanner message={error} />
      <section className="card">
        <dl className="facts">
          <div>
            <dt>Status</dt>
            <dd aria-live="polite">
              <StatusBadge status={task.status} />
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>
              <code>{task.type}</code>
            </dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd>{task.priority}</dd>
          </div>
          <div>
            <dt>Agent</dt>
            <dd>{agents.find((a) => a.id === task.assigned_agent)?.name ?? '—'}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>
              {task.attempts} of {task.max_attempts}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(task.created_at)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatTime(task.started_at)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatTime(task.completed_at)}</dd>
          </div>
        </dl>
        {task.error && (
          <div className="alert" role="alert">
            {task.error}
          </div>
        )}
      </section>
      <section className="grid two">
        <div className="card">
          <h2>Input</h2>
          <JsonView value={task.input_data} label="Task input" />
        </div>
        <div className="card">
          <h2>Output</h2>
          <JsonView value={task.output_data} label="Task output" />
        </div>
      </section>
    </>
  );
}
