import { useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { Link } from 'react-router-dom';
import { allowed } from '../auth/authSlice.js';
import { controlAgent, fetchAgents } from './agentsSlice.js';
import { createTask } from '../tasks/tasksSlice.js';
import { Empty, ErrorBanner, JsonView, Loading, PageHeader, StatusBadge } from '../../components/ui.jsx';

function GiveTask({ agent, onClose }) {
  const dispatch = useDispatch();
  const [type, setType] = useState(agent.capabilities[0] ?? '');
  const [input, setInput] = useState('{\n  "message": "hello"\n}');
  const [error, setError] = useState(null);
  const [taskId, setTaskId] = useState(null);
  const task = useSelector((s) => (taskId ? s.tasks.byId[taskId] : null));
  let parsed = null;
  let jsonError = null;
  try {
    parsed = JSON.parse(input);
    if (typeof parsed !== 'object' || Array.isArray(parsed) || parsed === null) jsonError = 'The input must be a JSON object.';
  } catch (e) {
    jsonError = `Not valid JSON: ${e.message}`;
  }
  const submit = async (e) => {
    e.preventDefault();
    if (jsonError) return;
    const result = await dispatch(createTask({ type, title: `${type} for ${agent.name}`, input_data: parsed, assigned_agent: agent.id }));
    if (result.error) setError(result.payload?.message ?? 'The task was refused.');
    else {
      setError(null);
      setTaskId(result.payload.id);
    }
  };
  return (
    <form className="give-task" onSubmit={submit} aria-label={`Give ${agent.name} a task`}>
      <label>
        Task type
        <select value={type} onChange={(e) => setType(e.target.value)}>
          {agent.capabilities.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <label>
        Input (JSON)
        <textarea rows={4} value={input} onChange={(e) => setInput(e.target.value)} aria-invalid={!!jsonError} spellCheck={false} />
      </label>
      {jsonError && <p className="field-error">{jsonError}</p>}
      <ErrorBanner message={error} />
      <div className="row">
        <button className="button primary small" type="submit" disabled={!!jsonError || !type}>
          Run task
        </button>
        <button className="button secondary small" type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {task && (
        <div className="task-result" aria-live="polite">
          <p>
            Task <Link to={`/tasks/${task.id}`}>{task.id.slice(0, 8)}</Link> <StatusBadge status={task.status} />
          </p>
          {task.status === 'completed' && <JsonView value={task.output_data} label="Task output" />}
          {task.error && <p className="field-error">{task.error}</p>}
        </div>
      )}
    </form>
  );
}

export default function AgentPanel() {
  const dispatch = useDispatch();
  const { items, status, error } = useSelector((s) => s.agents);
  const user = useSelector((s) => s.auth.user);
  const [giving, setGiving] = useState(null);
  const [actionError, setActionError] = useState(null);
  const control = async (id, action) => {
    const result = await dispatch(controlAgent({ id, action }));
    setActionError(result.error ? result.payload?.message : null);
  };
  const canControl = allowed(user, 'controlAgents');
  const canRun = allowed(user, 'runTasks');
  return (
    <>
      <PageHeader title="Agents" subtitle="Every agent, live: status, queue and results" />
      <ErrorBanner message={error} onRetry={() => dispatch(fetchAgents())} />
      <ErrorBanner message={actionError} />
      {status === 'loading' && items.length === 0 && <Loading what="Loading the agents" />}
      {status === 'ready' && items.length === 0 && <Empty title="No agents yet">Create one through the API or connect a remote agent.</Empty>}
      <div className="agents">
        {[...items]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((agent) => (
            <article className="card agent" key={agent.id} aria-labelledby={`agent-${agent.id}`}>
              <header>
                <div>
                  <h2 id={`agent-${agent.id}`}>{agent.name}</h2>
                  <span className="muted">
                    {agent.type} · v{agent.version}
                  </span>
                </div>
                <StatusBadge status={agent.status} />
              </header>
              {agent.config?.description && <p>{agent.config.description}</p>}
              <dl className="stats">
                <div>
                  <dt>Completed</dt>
                  <dd>{agent.stats?.tasks_completed ?? 0}</dd>
                </div>
                <div>
                  <dt>Failed</dt>
                  <dd>{agent.stats?.tasks_failed ?? 0}</dd>
                </div>
                <div>
                  <dt>Avg latency</dt>
                  <dd>{Math.round(agent.stats?.avg_latency_ms ?? 0)} ms</dd>
                </div>
                <div>
                  <dt>Queue</dt>
                  <dd>{agent.stats?.queue_depth ?? 0}</dd>
                </div>
              </dl>
              <ul className="chips" aria-label="Capabilities">
                {agent.capabilities.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
              {(canControl || canRun) && (
                <div className="row">
                  {canControl && agent.status !== 'idle' && agent.status !== 'busy' && (
                    <button className="button secondary small" type="button" onClick={() => control(agent.id, 'start')}>
                      Start
                    </button>
                  )}
                  {canControl && (agent.status === 'idle' || agent.status === 'busy') && (
                    <button className="button secondary small" type="button" onClick={() => control(agent.id, 'pause')}>
                      Pause
                    </button>
                  )}
                  {canControl && agent.status !== 'stopped' && (
                    <button className="button secondary small" type="button" onClick={() => control(agent.id, 'stop')}>
                      Stop
                    </button>
                  )}
                  {canRun && agent.capabilities.length > 0 && (
                    <button className="button primary small" type="button" onClick={() => setGiving(giving === agent.id ? null : agent.id)}>
                      Give a task
                    </button>
                  )}
                </div>
              )}
              {giving === agent.id && <GiveTask agent={agent} onClose={() => setGiving(null)} />}
            </article>
          ))}
      </div>
    </>
  );
}
