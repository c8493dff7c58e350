import { useEffect, useRef, useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { allowed } from '../auth/authSlice.js';
import { actionsFor, controlAgent, fetchAgents } from './agentsSlice.js';
import TaskForm from '../tasks/TaskForm.jsx';
import TaskRun from '../tasks/TaskRun.jsx';
import { Empty, ErrorBanner, Loading, PageHeader, StatusBadge, closeOnEscape, formatDuration } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

const actionLabels = { start: 'Start', pause: 'Pause', stop: 'Stop' };
const actionIcons = { start: 'play', pause: 'pause', stop: 'stop' };

function GiveTask({ agent, onClose }) {
  const [taskIds, setTaskIds] = useState([]);
  const heading = useRef(null);
  useEffect(() => heading.current?.focus(), [agent.id]);
  return (
    <section className="card give-task" aria-labelledby="give-task-title" onKeyDown={closeOnEscape(onClose)}>
      <div className="card-head">
        <h2 id="give-task-title" ref={heading} tabIndex={-1}>
          Give {agent.name} a task
        </h2>
        <button type="button" className="button ghost small icon-only" onClick={onClose}>
          <Icon name="close" size={16} />
          <span className="sr-only">Close the task form</span>
        </button>
      </div>
      <div className="give-task-body">
        <TaskForm key={agent.id} agent={agent} onCreated={(task) => setTaskIds((ids) => [task.id, ...ids].slice(0, 3))} />
        <div className="give-task-results" aria-live="polite">
          {taskIds.length === 0 ? (
            <p className="muted">The task appears here and updates live until the agent finishes it.</p>
          ) : (
            taskIds.map((id, i) => <TaskRun key={id} taskId={id} focusOnMount={i === 0} />)
          )}
        </div>
      </div>
    </section>
  );
}

function AgentCard({ agent, canControl, canRun, pending, giving, onGive, onControl }) {
  const stats = agent.stats ?? {};
  const actions = actionsFor(agent.status);
  return (
    <article className={`card agent${giving ? ' selected' : ''}`} aria-labelledby={`agent-${agent.id}`}>
      <header className="agent-head">
        <span className={`agent-avatar type-${agent.type}`} aria-hidden="true">
          <Icon name="agents" size={20} />
        </span>
        <div className="agent-title">
          <h2 id={`agent-${agent.id}`}>{agent.name}</h2>
          <span className="muted small">
            {agent.type} · v{agent.version}
          </span>
        </div>
        <span aria-live="polite" aria-atomic="true">
          <span className="sr-only">Status: </span>
          <StatusBadge status={agent.status} />
        </span>
      </header>
      {agent.config?.description && <p className="agent-desc">{agent.config.description}</p>}
      <dl className="stats">
        <div>
          <dt>Completed</dt>
          <dd>{(stats.tasks_completed ?? 0).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{(stats.tasks_failed ?? 0).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Avg latency</dt>
          <dd>{stats.avg_latency_ms ? formatDuration(stats.avg_latency_ms) : '—'}</dd>
        </div>
        <div>
          <dt>Queue</dt>
          <dd>{stats.queue_depth ?? 0}</dd>
        </div>
      </dl>
      <ul className="chips" aria-label="Capabilities">
        {agent.capabilities.map((c) => (
          <li key={c}>{c}</li>
        ))}
        {agent.capabilities.length === 0 && <li className="chip-empty">no capabilities</li>}
      </ul>
      {(canControl || canRun) && (
        <div className="agent-actions">
          {canControl &&
            actions.map((action) => (
              <button
                key={action}
                className="button secondary small"
                type="button"
                disabled={!!pending}
                onClick={() => onControl(agent.id, action)}
                aria-label={`${actionLabels[action]} ${agent.name}`}
              >
                <Icon name={actionIcons[action]} size={14} /> {pending === action ? `${actionLabels[action]}…` : actionLabels[action]}
              </button>
            ))}
          {canRun && agent.capabilities.length > 0 && (
            <button id={`give-${agent.id}`} className="button primary small push" type="button" onClick={onGive} aria-expanded={giving} aria-controls="give-task-panel">
              <Icon name="plus" size={14} /> Give a task
            </button>
          )}
        </div>
      )}
    </article>
  );
}

export default function AgentPanel() {
  const dispatch = useDispatch();
  const { items, status, error, pending, actionError } = useSelector((s) => s.agents);
  const user = useSelector((s) => s.auth.user);
  const [giving, setGiving] = useState(null);
  const canControl = allowed(user, 'controlAgents');
  const canRun = allowed(user, 'runTasks');
  const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
  const givingAgent = items.find((a) => a.id === giving);
  const counts = items.reduce((c, a) => ({ ...c, [a.status]: (c[a.status] ?? 0) + 1 }), {});
  return (
    <>
      <PageHeader
        title="Agents"
        subtitle={items.length ? `${items.length} agents · ${(counts.idle ?? 0) + (counts.busy ?? 0)} active · ${counts.paused ?? 0} paused` : 'Every agent, live: status, queue and results'}
      />
      <ErrorBanner message={error} onRetry={() => dispatch(fetchAgents())} />
      <ErrorBanner message={actionError} />
      {status === 'loading' && items.length === 0 && <Loading what="Loading the agents" />}
      {status === 'ready' && items.length === 0 && (
        <Empty title="No agents yet" icon="agents">
          Create one through the API (POST /api/v1/agents) or connect a remote agent over /ws/agents.
        </Empty>
      )}
      <div id="give-task-panel">
        {givingAgent && canRun && (
          <GiveTask
            agent={givingAgent}
            onClose={() => {
              setGiving(null);
              // Back to the button that opened the form.
              setTimeout(() => document.getElementById(`give-${givingAgent.id}`)?.focus(), 0);
            }}
          />
        )}
      </div>
      <div className="agents">
        {sorted.map((agent) => (
          <AgentCard
            key={agent.id}
            agent={agent}
            canControl={canControl}
            canRun={canRun}
            pending={pending[agent.id]}
            giving={giving === agent.id}
            onGive={() => setGiving(giving === agent.id ? null : agent.id)}
            onControl={(id, action) => dispatch(controlAgent({ id, action }))}
          />
        ))}
      </div>
    </>
  );
}
