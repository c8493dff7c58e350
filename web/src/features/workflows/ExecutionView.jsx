import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSelector } from 'react-redux';
import { Background, Controls, ReactFlow } from '@xyflow/react';
import { api, problemOf } from '../../services/api.js';
import { ErrorBanner, JsonView, StatusBadge, formatTime } from '../../components/ui.jsx';
import { allowed } from '../auth/authSlice.js';
import { toGraph } from './graph.js';

// One execution, live: its graph coloured by step status, each step's data, approvals.
export default function ExecutionView({ executionId }) {
  const [execution, setExecution] = useState(null);
  const [error, setError] = useState(null);
  const [comment, setComment] = useState('');
  const user = useSelector((s) => s.auth.user);
  const lastEvent = useSelector((s) => s.live.recent[0]);
  const load = useCallback(async () => {
    try {
      setExecution((await api.get(`/workflow-executions/${executionId}`)).data);
      setError(null);
    } catch (e) {
      setError(problemOf(e).message);
    }
  }, [executionId]);
  useEffect(() => {
    load();
  }, [load]);
  // Follow the stream: any workflow event may concern this execution.
  useEffect(() => {
    if (lastEvent?.topic?.startsWith('workflows.')) load();
  }, [lastEvent, load]);
  const states = useMemo(() => Object.fromEntries((execution?.steps ?? []).map((s) => [s.id, s.status])), [execution]);
  const running = execution?.steps.find((s) => s.status === 'running' || s.status === 'waiting')?.id;
  const graph = useMemo(() => (execution ? toGraph(executionDefinition(execution), running, states) : null), [execution, running, states]);
  const decide = async (stepId, approved) => {
    try {
      setExecution((await api.post(`/workflow-executions/${executionId}/steps/${stepId}/approve`, { approved, comment })).data);
      setComment('');
    } catch (e) {
      setError(problemOf(e).message);
    }
  };
  if (!execution) return <ErrorBanner message={error} />;
  return (
    <section className="card" aria-label="Execution">
      <h2>
        Execution <code>{execution.id.slice(0, 8)}</code> <StatusBadge status={execution.status} />
      </h2>
      <ErrorBanner message={error} />
      {execution.error && <p className="field-error">{execution.error}</p>}
      <div className="flow small-flow">
        <ReactFlow nodes={graph.nodes} edges={graph.edges} fitView nodesDraggable={false}>
          <Background />
          <Controls />
        </ReactFlow>
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Finished</th>
            <th scope="col">Output or error</th>
          </tr>
        </thead>
        <tbody>
          {execution.steps.map((s) => (
            <tr key={s.id}>
              <td>
                <code>{s.id}</code> <span className="muted">{s.type}</span>
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td>{s.attempts}</td>
              <td>{formatTime(s.completed_at)}</td>
              <td className="wrap">
                {s.type === 'approval' && s.status === 'waiting' && allowed(user, 'runTasks') ? (
                  <div className="row">
                    <label className="sr-only" htmlFor={`comment-${s.id}`}>Comment</label>
                    <input id={`comment-${s.id}`} placeholder="Comment (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
                    <button className="button primary small" type="button" onClick={() => decide(s.id, true)}>
                      Approve
                    </button>
                    <button className="button danger small" type="button" onClick={() => decide(s.id, false)}>
                      Reject
                    </button>
                  </div>
                ) : s.error ? (
                  <span className="field-error">{s.error}</span>
                ) : (
                  s.output && <code>{JSON.stringify(s.output).slice(0, 120)}</code>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {execution.output && (
        <>
          <h2>Output</h2>
          <JsonView value={execution.output} label="Execution output" />
        </>
      )}
    </section>
  );
}

// The definition the execution runs (a later edit of the workflow does not change it).
function executionDefinition(execution) {
  return execution.definition ?? { steps: execution.steps.map((s) => ({ id: s.id, type: s.type })) };
}
