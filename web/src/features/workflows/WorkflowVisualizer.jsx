import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSelector } from 'react-redux';
import { Background, Controls, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { api, problemOf } from '../../services/api.js';
import { Empty, ErrorBanner, JsonView, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';
import { allowed } from '../auth/authSlice.js';
import ExecutionView from './ExecutionView.jsx';
import { addableTypes, connect, errorsByStep, newStep, toGraph } from './graph.js';

const blank = { trigger: { type: 'manual' }, steps: [{ id: 'start', type: 'task', task_type: 'echo', input: { hello: '{{input.name}}' } }] };
const executionStatuses = ['', 'running', 'waiting', 'completed', 'failed', 'cancelled'];

export default function WorkflowVisualizer() {
  const user = useSelector((s) => s.auth.user);
  const lastEvent = useSelector((s) => s.live.recent[0]);
  const [workflows, setWorkflows] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null); // workflow id
  const [draft, setDraft] = useState(null); // {id?, name, status, definition, text} while editing
  const [fieldErrors, setFieldErrors] = useState({});
  const [step, setStep] = useState(null);
  const [executions, setExecutions] = useState([]);
  const [statusFilter, setStatusFilter] = useState('');
  const [execution, setExecution] = useState(null);
  const [runInput, setRunInput] = useState('{}');
  const canEdit = allowed(user, 'manageAgents');
  const canRun = allowed(user, 'runTasks');

  const loadWorkflows = useCallback(async () => {
    try {
      const items = (await api.get('/workflows', { params: { limit: 500 } })).data.items;
      setWorkflows(items);
      setSelected((current) => current ?? items[0]?.id ?? null);
    } catch (e) {
      setError(problemOf(e).message);
      setWorkflows([]);
    }
  }, []);
  useEffect(() => {
    loadWorkflows();
  }, [loadWorkflows]);

  const workflow = workflows?.find((w) => w.id === selected);
  const loadExecutions = useCallback(async () => {
    if (!selected) return setExecutions([]);
    try {
      setExecutions((await api.get('/workflow-executions', { params: { workflow_id: selected, limit: 50 } })).data.items);
    } catch (e) {
      setError(problemOf(e).message);
    }
  }, [selected]);
  useEffect(() => {
    loadExecutions();
  }, [loadExecutions]);
  useEffect(() => {
    if (lastEvent?.topic?.startsWith('workflows.execution')) loadExecutions();
  }, [lastEvent, loadExecutions]);

  // The definition on screen: the draft being edited (if it parses) or the saved one.
  const parsed = useMemo(() => {
    if (!draft) return { definition: workflow?.definition, jsonError: null };
    try {
      return { definition: JSON.parse(draft.text), jsonError: null };
    } catch (e) {
      return { definition: draft.definition, jsonError: e.message };
    }
  }, [draft, workflow]);
  const definition = parsed.definition ?? { steps: [] };
  const stepErrors = errorsByStep(definition, fieldErrors);
  const graph = useMemo(() => toGraph(definition, null, {}, stepErrors), [definition, stepErrors]);
  const selectedStep = definition.steps?.find((s) => s.id === step);

  const edit = (next) => setDraft({ ...draft, definition: next, text: JSON.stringify(next, null, 2) });
  const startEditing = (w) => {
    setFieldErrors({});
    const def = w?.definition ?? blank;
    setDraft({ id: w?.id, name: w?.name ?? 'New workflow', status: w?.status ?? 'draft', definition: def, text: JSON.stringify(def, null, 2) });
  };
  const save = async () => {
    if (parsed.jsonError) return;
    try {
      const body = { name: draft.name, status: draft.status, definition: parsed.definition };
      const saved = draft.id ? (await api.patch(`/workflows/${draft.id}`, body)).data : (await api.post('/workflows', body)).data;
      setDraft(null);
      setFieldErrors({});
      setError(null);
      setSelected(saved.id);
      loadWorkflows();
    } catch (e) {
      const p = problemOf(e);
      setFieldErrors(p.fields);
      setError(p.message);
    }
  };
  const run = async () => {
    try {
      const input = JSON.parse(runInput);
      const started = (await api.post(`/workflows/${selected}/execute`, { input })).data;
      setExecution(started.id);
      loadExecutions();
      setError(null);
    } catch (e) {
      setError(e instanceof SyntaxError ? `The input is not valid JSON: ${e.message}` : problemOf(e).message);
    }
  };

  if (workflows === null) return <Loading what="Loading workflows" />;
  return (
    <>
      <PageHeader title="Workflows" subtitle="Business processes across agents, step by step">
        {canEdit && !draft && (
          <>
            <button className="button secondary" type="button" onClick={() => startEditing(null)}>
              New workflow
            </button>
            {workflow && (
              <button className="button secondary" type="button" onClick={() => startEditing(workflow)}>
                Edit
              </button>
            )}
          </>
        )}
      </PageHeader>
      <ErrorBanner message={error} />
      {workflows.length === 0 && !draft && <Empty title="No workflows yet">{canEdit ? 'Create one with “New workflow”.' : 'Ask a manager to create one.'}</Empty>}
      {!draft && workflows.length > 0 && (
        <div className="filters">
          <label>
            Workflow
            <select value={selected ?? ''} onChange={(e) => (setSelected(e.target.value), setExecution(null), setStep(null))}>
              {workflows.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name} ({w.status})
                </option>
              ))}
            </select>
          </label>
          {workflow?.webhook_url && (
            <p className="muted">
              Webhook: <code>POST {workflow.webhook_url}</code>
            </p>
          )}
        </div>
      )}
      {draft && (
        <section className="card form-row" aria-label="Edit workflow">
          <label>
            Name
            <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} aria-invalid={!!fieldErrors.name} />
          </label>
          <label>
            Status
            <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
              <option>draft</option>
              <option>active</option>
              <option>archived</option>
            </select>
          </label>
          <label>
            Add a step
            <select value="" onChange={(e) => e.target.value && edit({ ...definition, steps: [...definition.steps, newStep(definition, e.target.value)] })}>
              <option value="">choose a type…</option>
              {addableTypes.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <Connect definition={definition} onConnect={(from, to) => edit(connect(definition, from, to))} />
          <div className="row">
            <button className="button primary" type="button" onClick={save} disabled={!!parsed.jsonError}>
              Save
            </button>
            <button className="button secondary" type="button" onClick={() => (setDraft(null), setFieldErrors({}), setError(null))}>
              Cancel
            </button>
          </div>
        </section>
      )}
      {(workflow || draft) && (
        <div className="grid workflow">
          <div className="card flow" aria-label="Workflow graph: select a step to see its settings">
            <ReactFlow nodes={graph.nodes} edges={graph.edges} fitView onNodeClick={(_, node) => setStep(node.id)} nodesDraggable={false}>
              <Background />
              <Controls />
            </ReactFlow>
          </div>
          <aside className="card" aria-live="polite">
            {draft ? (
              <>
                <h2>Definition</h2>
                <label>
                  JSON (docs/workflows.md)
                  <textarea rows={18} spellCheck={false} value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} aria-invalid={!!parsed.jsonError} />
                </label>
                {parsed.jsonError && <p className="field-error">Not valid JSON: {parsed.jsonError}</p>}
                {Object.entries(stepErrors).map(([id, message]) => (
                  <p key={id} className="field-error">
                    <strong>{id}</strong>: {message}
                  </p>
                ))}
              </>
            ) : (
              <>
                <h2>{selectedStep ? `Step ${selectedStep.id}` : 'Step settings'}</h2>
                {selectedStep ? <JsonView value={selectedStep} label="Step settings" /> : <p className="muted">Select a step in the graph, or below.</p>}
                <ul className="step-list">
                  {definition.steps?.map((s) => (
                    <li key={s.id}>
                      <button type="button" className={`link${s.id === step ? ' active' : ''}`} onClick={() => setStep(s.id)}>
                        {s.id} <span className="muted">{s.type}</span>
                      </button>
                    </li>
                  ))}
                </ul>
                {canRun && workflow?.status === 'active' && (
                  <div className="run">
                    <label>
                      Input (JSON)
                      <textarea rows={3} spellCheck={false} value={runInput} onChange={(e) => setRunInput(e.target.value)} />
                    </label>
                    <button className="button primary small" type="button" onClick={run}>
                      Run workflow
                    </button>
                  </div>
                )}
              </>
            )}
          </aside>
        </div>
      )}
      {!draft && workflow && (
        <section className="card table-card" aria-label="Executions">
          <div className="row padded">
            <h2>Executions</h2>
            <label className="inline">
              Status
              <select value={statusFilter} onChange={(e) => setStatusFilter(e.target.value)}>
                {executionStatuses.map((s) => (
                  <option key={s} value={s}>
                    {s || 'any'}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {executions.length === 0 ? (
            <p className="muted padded">No executions yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Execution</th>
                  <th scope="col">Status</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Started</th>
                  <th scope="col">Finished</th>
                </tr>
              </thead>
              <tbody>
                {executions
                  .filter((e) => !statusFilter || e.status === statusFilter)
                  .map((e) => (
                    <tr key={e.id}>
                      <td>
                        <button type="button" className="link" onClick={() => setExecution(e.id)}>
                          {e.id.slice(0, 8)}
                        </button>
                      </td>
                      <td>
                        <StatusBadge status={e.status} />
                      </td>
                      <td>{e.trigger}</td>
                      <td>{formatTime(e.started_at)}</td>
                      <td>{formatTime(e.completed_at)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {execution && !draft && <ExecutionView key={execution} executionId={execution} />}
    </>
  );
}

function Connect({ definition, onConnect }) {
  const ids = definition.steps?.map((s) => s.id) ?? [];
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  return (
    <fieldset className="connect">
      <legend>Connect steps</legend>
      <label>
        From
        <select value={from} onChange={(e) => setFrom(e.target.value)}>
          <option value="">…</option>
          {ids.map((id) => (
            <option key={id}>{id}</option>
          ))}
        </select>
      </label>
      <label>
        To
        <select value={to} onChange={(e) => setTo(e.target.value)}>
          <option value="">…</option>
          {ids.map((id) => (
            <option key={id}>{id}</option>
          ))}
        </select>
      </label>
      <button className="button secondary small" type="button" disabled={!from || !to || from === to} onClick={() => onConnect(from, to)}>
        Connect
      </button>
    </fieldset>
  );
}
