import { useEffect, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link, useParams } from 'react-router-dom';
import { allowed } from '../auth/authSlice.js';
import { fetchTask, isOpen, taskAction } from './tasksSlice.js';
import { CopyButton, Empty, ErrorBanner, Fact, JsonView, Loading, PageHeader, StatusBadge, durationOf, formatDuration, formatTime } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import RunTrace from '../ai/RunTrace.jsx';
import TaskWarnings, { waitingWarnings } from './TaskWarnings.jsx';

export default function TaskDetail() {
  const { id } = useParams();
  const dispatch = useDispatch();
  const task = useSelector((s) => s.tasks.byId[id]);
  const user = useSelector((s) => s.auth.user);
  const agents = useSelector((s) => s.agents.items);
  const pollTick = useSelector((s) => s.live.pollTick);
  const [loadProblem, setLoadProblem] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [acting, setActing] = useState(null);

  useEffect(() => {
    setLoadProblem(null);
    dispatch(fetchTask(id)).then((r) => setLoadProblem(r.error ? r.payload ?? { message: 'Could not load the task.' } : null));
  }, [id, dispatch]);
  useEffect(() => {
    if (pollTick && task && isOpen(task.status)) dispatch(fetchTask(id));
  }, [pollTick]); // eslint-disable-line react-hooks/exhaustive-deps

  const act = async (action) => {
    setActing(action);
    const r = await dispatch(taskAction({ id, action }));
    setActing(null);
    setActionError(r.error ? `Could not ${action} the task: ${r.payload?.message ?? 'the request failed.'}` : null);
  };

  const back = (
    <Link to="/tasks" className="back-link">
      <Icon name="arrowLeft" size={14} /> All tasks
    </Link>
  );
  if (!task) {
    if (loadProblem?.status === 404)
      return (
        <>
          <PageHeader title="Task not found" back={back} />
          <Empty title="There is no task with this id." icon="tasks">
            It may have been typed wrong. <Link to="/tasks">Back to the tasks</Link>.
          </Empty>
        </>
      );
    if (loadProblem)
      return (
        <>
          <PageHeader title="Task" back={back} />
          <ErrorBanner message={loadProblem.message} onRetry={() => dispatch(fetchTask(id)).then((r) => setLoadProblem(r.error ? r.payload : null))} />
        </>
      );
    return <Loading what="Loading the task" />;
  }
  const canRun = allowed(user, 'runTasks');
  const open = isOpen(task.status);
  const agent = agents.find((a) => a.id === task.assigned_agent);
  return (
    <>
      <PageHeader title={task.title || task.type} back={back} subtitle={<span className="mono-id">{task.id} <CopyButton text={task.id} label="Copy id" className="button link small" /></span>}>
        {canRun && open && (
          <button className="button secondary" type="button" disabled={!!acting} onClick={() => act('cancel')}>
            <Icon name="stop" size={16} /> {acting === 'cancel' ? 'Cancelling…' : 'Cancel task'}
          </button>
        )}
        {canRun && (task.status === 'failed' || task.status === 'cancelled') && (
          <button className="button primary" type="button" disabled={!!acting} onClick={() => act('retry')}>
            <Icon name="refresh" size={16} /> {acting === 'retry' ? 'Retrying…' : 'Retry task'}
          </button>
        )}
      </PageHeader>
      <ErrorBanner message={actionError} />
      <section className="card" aria-label="Task facts">
        <dl className="facts">
          <Fact label="Status">
            <span aria-live="polite" aria-atomic="true">
              <StatusBadge status={task.status} />
            </span>
          </Fact>
          <Fact label="Type">
            <code>{task.type}</code>
          </Fact>
          <Fact label="Priority">
            <span className={`priority priority-${task.priority}`}>{task.priority}</span>
          </Fact>
          <Fact label="Agent">{agent ? <Link to={`/tasks?agent=${agent.id}`}>{agent.name}</Link> : task.assigned_agent ?? 'any'}</Fact>
          <Fact label="Attempts">
            {task.attempts ?? 0}
            {task.max_attempts ? ` of ${task.max_attempts}` : ''}
          </Fact>
          <Fact label="Created">{formatTime(task.created_at)}</Fact>
          <Fact label="Started">{formatTime(task.started_at)}</Fact>
          <Fact label="Finished">{formatTime(task.completed_at)}</Fact>
          <Fact label="Run time">{formatDuration(durationOf(task))}</Fact>
          <Fact label="Waited">{formatDuration(task.started_at ? Date.parse(task.started_at) - Date.parse(task.created_at) : null)}</Fact>
        </dl>
        {task.description && <p className="task-description">{task.description}</p>}
        <TaskWarnings task={task} />
        {task.error && (
          <div className="alert" role="alert">
            <div>
              <strong>Error: </strong>
              {task.error}
            </div>
          </div>
        )}
      </section>
      {task.type === 'assistant.run' && <RunTrace task={task} open={open} />}
      <div className="grid two-even">
        <section className="card" aria-labelledby="input-title">
          <div className="card-head">
            <h2 id="input-title">Input</h2>
            <CopyButton text={JSON.stringify(task.input_data ?? {}, null, 2)} label="Copy JSON" className="button ghost small" />
          </div>
          <JsonView value={task.input_data} label="Task input" />
        </section>
        <section className="card" aria-labelledby="output-title">
          <div className="card-head">
            <h2 id="output-title">Output</h2>
            {task.output_data && <CopyButton text={JSON.stringify(task.output_data, null, 2)} label="Copy JSON" className="button ghost small" />}
          </div>
          {open ? waitingWarnings(task).length ? <p className="muted">Not started: see why above.</p> : <Loading what="Waiting for the agent" /> : <JsonView value={task.output_data} label="Task output" empty="No output." />}
        </section>
      </div>
    </>
  );
}
