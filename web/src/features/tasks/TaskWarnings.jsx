// Why a waiting task may never run (the API's task `warnings`, docs/api.md): no agent offers
// its type, or the agent that would run it is stopped, with a Start button for who may start it.
import { useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { allowed } from '../auth/authSlice.js';
import { controlAgent } from '../agents/agentsSlice.js';
import { fetchTask } from './tasksSlice.js';

const headline = { no_capable_agent: 'No agent can run this type', agent_stopped: 'The agent is stopped: start it' };

// Only a task still waiting shows them: a live update that started it may not carry them.
export function waitingWarnings(task) {
  return task && (task.status === 'queued' || task.status === 'pending') ? task.warnings ?? [] : [];
}

export default function TaskWarnings({ task }) {
  const dispatch = useDispatch();
  const mayStart = allowed(useSelector((s) => s.auth.user), 'controlAgents');
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState(null);
  const warnings = waitingWarnings(task);
  if (!warnings.length) return null;
  const start = async (agentId) => {
    setStarting(true);
    const r = await dispatch(controlAgent({ id: agentId, action: 'start' }));
    setStarting(false);
    setProblem(r.error ? `Could not start the agent: ${r.payload?.message ?? 'the request failed.'}` : null);
    if (!r.error) dispatch(fetchTask(task.id));
  };
  return warnings.map((w) => (
    <div className="alert alert-warn task-warning" role="alert" key={w.code}>
      <div>
        <strong>{headline[w.code] ?? 'This task may not run'}.</strong> <span className="wrap-anywhere">{w.detail}</span>
        {problem && <div>{problem}</div>}
      </div>
      {w.code === 'agent_stopped' && w.agent_id && mayStart && (
        <button type="button" className="button primary small" disabled={starting} onClick={() => start(w.agent_id)}>
          {starting ? 'Starting…' : 'Start the agent'}
        </button>
      )}
    </div>
  ));
}
