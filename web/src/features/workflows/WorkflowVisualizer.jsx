import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { useSelector } from 'react-redux';
import { useSearchParams } from 'react-router-dom';
import { Background, Controls, Handle, Position, ReactFlow, useReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { api, problemOf } from '../../services/api.js';
import { allowed } from '../auth/authSlice.js';
import { parseInput } from '../tasks/TaskForm.jsx';
import { closeOnEscape, CopyButton, Empty, ErrorBanner, JsonView, Loading, Notice, PageHeader, StatusBadge, formatTime, timeAgo, shortId } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { addStepAfter, blankDefinition, connect, describeStep, errorsByStep, exampleWorkflow, newStep, parseDefinition, toGraph } from './graph.js';
import { DefinitionEditor, StepEditor, StepToolbar, WorkflowForm, noErrors } from './WorkflowEditor.jsx';
import StepRun from './StepRun.jsx';
import ApprovalDecision from '../ai/ApprovalDecision.jsx';
import { approvalRole, decideStep } from './stepRuns.js';

const StepNode = memo(function StepNode({ data, selected }) {
  const { step, status, errors = [], editable = false } = data;
  return (
    <div className={`wf-node wf-${step.type}${status ? ` st-${status}` : ''}${selected ? ' is-selected' : ''}${errors.length ? ' wf-invalid' : ''}`}>
      <Handle type="target" position={Position.Left} isConnectable={editable} />
      <div className="wf-node-top">
        <span className="wf-type">{step.type.replace('_', ' ')}</span>
        {status && <StatusBadge status={status} />}
        {errors.length > 0 && (
          <span className="badge tone-bad">
            <Icon name="alert" size={11} /> {errors.length === 1 ? '1 problem' : `${errors.length} problems`}
          </span>
        )}
      </div>
      <div className="wf-id" title={step.id}>
        {step.id}
      </div>
      <div className="wf-desc">{describeStep(step)}</div>
      {errors.length > 0 && (
        <ul className="wf-node-errors" id={`node-errors-${step.id}`}>
          {errors.map((e) => (
            <li key={e.field} className="field-error" title={e.message}>
              {e.field === 'step' ? '' : `${e.field}: `}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      <Handle type="source" position={Position.Right} isConnectable={editable} />
    </div>
  );
});
const nodeTypes = { step: StepNode };

// Fits the graph again when the layout changes (the editor adds, removes and connects steps).
function FitOnChange({ layout }) {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const timer = setTimeout(() => fitView({ padding: 0.15, maxZoom: 1.15, duration: 150 }), 60);
    return () => clearTimeout(timer);
  }, [layout, fitView]);
  return null;
}

function triggerText(trigger) {
  if (!trigger?.type) return '—';
  if (trigger.type === 'schedule') return `schedule (${trigger.cron ?? '?'} ${trigger.timezone ?? 'UTC'})`;
  if (trigger.type === 'event') return `event ${trigger.topic ?? ''}`;
  return trigger.type;
}

// The workflows of the server, or a clear "not available" when it has no workflow API (404).
function useWorkflows() {
  const [state, setState] = useState({ loading: true, items: [], unavailable: false, problem: null });
  // Someone (maybe another tab) created, changed or deleted a workflow: reload the list.
  const changed = useSelector((s) => s.live.recent.find((e) => /^workflows\.(created|updated|deleted)$/.test(e.topic))?.id ?? null);
  const load = useCallback(async () => {
    setState((s) => ({ ...s, loading: s.items.length === 0 }));
    try {
      const { data } = await api.get('/workflows', { params: { limit: 200 } });
      setState({ loading: false, items: data.items ?? [], unavailable: false, problem: null });
    } catch (e) {
      const problem = problemOf(e);
      setState({ loading: false, items: [], unavailable: problem.status === 404 || problem.status === 501, problem: problem.status === 404 || problem.status === 501 ? null : problem });
    }
  }, []);
  useEffect(() => {
    load();
  }, [load, changed]);
  // A workflow just saved, shown at once (the reload confirms it).
  const upsert = useCallback((w) => setState((s) => ({ ...s, items: s.items.some((x) => x.id === w.id) ? s.items.map((x) => (x.id === w.id ? w : x)) : [w, ...s.items] })), []);
  return { ...state, reload: load, upsert };
}

// The latest executions of a workflow, refetched when live events show a new one.
function useExecutions(workflowId, enabled) {
  const live = useSelector((s) => s.live.executions);
  const pollTick = useSelector((s) => s.live.pollTick);
  const [state, setState] = useState({ items: [], problem: null, loading: false });
  const liveKey = Object.entries(live)
    .filter(([, e]) => e.workflow_id === workflowId)
    .map(([id, e]) => `${id}:${e.status}`)
    .join(',');
  useEffect(() => {
    if (!enabled) {
      setState({ items: [], problem: null, loading: false });
      return undefined;
    }
    let gone = false;
    setState((s) => ({ ...s, loading: s.items.length === 0 }));
    api
      .get('/workflow-executions', { params: { workflow_id: workflowId, limit: 50 } })
      .then(({ data }) => !gone && setState({ items: data.items ?? [], problem: null, loading: false }))
      .catch((e) => !gone && setState({ items: [], problem: problemOf(e), loading: false }));
    return () => {
      gone = true;
    };
  }, [workflowId, enabled, liveKey, pollTick]);
  return state;
}

// One execution with its steps; live step events are laid over what was fetched.
function useExecution(executionId) {
  const live = useSelector((s) => (executionId ? s.live.executions[executionId] : null));
  const pollTick = useSelector((s) => s.live.pollTick);
  const [execution, setExecution] = useState(null);
  const [problem, setProblem] = useState(null);
  const liveKey = live ? `${live.status}:${Object.entries(live.steps).join(',')}` : '';
  useEffect(() => {
    if (!executionId) {
      setExecution(null);
      return undefined;
    }
    let gone = false;
    api
      .get(`/workflow-executions/${executionId}`)
      .then(({ data }) => !gone && (setExecution(data), setProblem(null)))
      .catch((e) => !gone && setProblem(problemOf(e)));
    return () => {
      gone = true;
    };
  }, [executionId, liveKey, pollTick]);
  const statuses = useMemo(() => {
    const map = {};
    for (const s of execution?.id === executionId ? execution.steps ?? [] : []) map[s.id] = s.status;
    return { ...map, ...(live?.steps ?? {}) };
  }, [execution, executionId, live]);
  return { execution: execution?.id === executionId ? execution : null, statuses, problem, setExecution };
}

function RunPanel({ workflow, onStarted, onClose }) {
  const [input, setInput] = useState('{}');
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const parsed = parseInput(input);
  const run = async (e) => {
    e.preventDefault();
    if (parsed.error) return;
    setBusy(true);
    try {
      const { data } = await api.post(`/workflows/${workflow.id}/execute`, { input: parsed.value });
      setProblem(null);
      onStarted(data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="run-panel" onSubmit={run} aria-label={`Run ${workflow.name}`} onKeyDown={closeOnEscape(onClose)}>
      <div className="field">
        <label htmlFor="run-input">Input (JSON)</label>
        <textarea id="run-input" className="code-input" rows={3} autoFocus value={input} onChange={(e) => setInput(e.target.value)} spellCheck={false} aria-invalid={!!parsed.error} aria-describedby="run-input-help" />
        {parsed.error ? (
          <span className="field-error" id="run-input-help">
            {parsed.error}
          </span>
        ) : (
          <span className="field-hint" id="run-input-help">
            Available to the steps as <code>{'{{input.…}}'}</code>.
          </span>
        )}
      </div>
      {problem && <ErrorBanner message={problem.message} />}
      <button className="button primary small" type="submit" disabled={busy || !!parsed.error}>
        <Icon name="play" size={14} /> {busy ? 'Starting…' : 'Run workflow'}
      </button>
    </form>
  );
}

function ExecutionPanel({ execution, canRun, onChanged, onShowStep }) {
  const [problem, setProblem] = useState(null);
  const waiting = (execution.steps ?? []).filter((s) => s.status === 'waiting' && s.type === 'approval');
  const cancel = async () => {
    try {
      onChanged((await api.post(`/workflow-executions/${execution.id}/cancel`)).data);
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  const open = ['pending', 'running', 'waiting'].includes(execution.status);
  return (
    <div className="execution">
      <dl className="facts compact">
        <div>
          <dt>Execution</dt>
          <dd>
            <code>{shortId(execution.id)}</code>
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd aria-live="polite">
            <StatusBadge status={execution.status} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(execution.started_at ?? execution.created_at)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{formatTime(execution.completed_at)}</dd>
        </div>
      </dl>
      {problem && <ErrorBanner message={problem.message} />}
      {waiting.map((s) => (
        <div className="approval" key={s.id}>
          <span>
            Step{' '}
            <button type="button" className="button link small" onClick={() => onShowStep(s.id)}>
              {s.id}
            </button>{' '}
            waits for approval.
          </span>
          <ApprovalDecision role={approvalRole(s)} subject={`step ${s.id}`} what="approval" send={(approved, comment) => decideStep(execution.id, s.id, approved, comment)} onDecided={onChanged} />
        </div>
      ))}
      {execution.error && (
        <div className="alert" role="alert">
          {execution.error}
        </div>
      )}
      <h3 className="mini-title">Input</h3>
      <JsonView value={execution.input} label="Execution input" empty="No input." />
      <h3 className="mini-title">Output</h3>
      <JsonView value={execution.output} label="Execution output" empty={open ? 'Not finished yet.' : 'No output.'} />
      {canRun && open && (
        <button type="button" className="button secondary small" onClick={cancel}>
          <Icon name="stop" size={14} /> Cancel execution
        </button>
      )}
    </div>
  );
}

const executionFilters = ['', 'running', 'waiting', 'completed', 'failed', 'cancelled'];

function ExecutionsCard({ workflow, canRun, running, setRunning, executions, executionId, setExecutionId, execution, executionProblem, setExecution, onShowStep }) {
  const [filter, setFilter] = useState('');
  const shown = executions.items.filter((e) => !filter || e.status === filter || (filter === 'running' && e.status === 'pending')).slice(0, 10);
  return (
    <section className="card" aria-labelledby="executions-title">
      <div className="card-head">
        <h2 id="executions-title">Executions</h2>
        {executions.items.length > 0 && (
          <label className="inline-select">
            <span className="sr-only">Show executions</span>
            <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Show executions">
              {executionFilters.map((s) => (
                <option key={s} value={s}>
                  {s || 'all'}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {running && (
        <RunPanel
          workflow={workflow}
          onClose={() => setRunning(false)}
          onStarted={(e) => {
            setRunning(false);
            setFilter('');
            setExecution(e);
            setExecutionId(e.id);
          }}
        />
      )}
      {executions.problem && <ErrorBanner message={executions.problem.message} />}
      {executions.loading && <Loading what="Loading executions" />}
      {!executions.loading && !executions.problem && executions.items.length === 0 && <p className="muted">Not run yet.</p>}
      {executions.items.length > 0 && shown.length === 0 && <p className="muted small">No {filter} execution among the latest {executions.items.length}.</p>}
      {shown.length > 0 && (
        <ul className="execution-list">
          {shown.map((e) => (
            <li key={e.id}>
              <button type="button" className={`step-button${e.id === executionId ? ' active' : ''}`} aria-pressed={e.id === executionId} onClick={() => setExecutionId(e.id === executionId ? null : e.id)}>
                <code>{shortId(e.id)}</code> <span className="muted small">{timeAgo(e.created_at)}</span> <StatusBadge status={e.status} />
              </button>
            </li>
          ))}
        </ul>
      )}
      {executionProblem && <ErrorBanner message={executionProblem.message} />}
      {execution && <ExecutionPanel execution={execution} canRun={canRun} onChanged={setExecution} onShowStep={onShowStep} />}
      {!executionId && shown.length > 0 && <p className="muted small">Select an execution to follow its steps on the graph.</p>}
    </section>
  );
}

// The webhook URL holds the credential that starts the workflow: the API sends it only to those
// who may manage workflows, who may also rotate it (the old URL then stops working).
function WebhookFact({ workflow, canEdit, onRotated }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState(null);
  const rotate = async () => {
    setProblem(null);
    try {
      onRotated((await api.post(`/workflows/${workflow.id}/rotate-webhook`)).data);
      setConfirming(false);
    } catch (e) {
      setProblem(problemOf(e).message);
    }
  };
  return (
    <div className="webhook">
      <dt>Webhook</dt>
      <dd>
        {workflow.webhook_url ? (
          <>
            <code title={workflow.webhook_url}>POST {workflow.webhook_url}</code>
            <CopyButton text={`${location.origin}${workflow.webhook_url}`} label="Copy URL" className="button link small" />
          </>
        ) : (
          <span className="muted small">The URL is shown to those who manage workflows.</span>
        )}
        {canEdit &&
          (confirming ? (
            <span className="confirm" role="group" aria-label="Rotate the webhook URL?">
              <span className="small">The old URL stops working.</span>
              <button className="button danger small" type="button" onClick={rotate}>
                Rotate
              </button>
              <button className="button secondary small" type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button className="button link small" type="button" onClick={() => setConfirming(true)}>
              Rotate URL
            </button>
          ))}
        {problem && <span className="error small" role="alert">{problem}</span>}
      </dd>
    </div>
  );
}

export default function WorkflowVisualizer() {
  const user = useSelector((s) => s.auth.user);
  const canRun = allowed(user, 'runWorkflows');
  const canEdit = allowed(user, 'manageWorkflows');
  const { loading, items, unavailable, problem, reload, upsert } = useWorkflows();
  const [params, setParams] = useSearchParams();
  const [selectedStep, setSelectedStep] = useState(null);
  const [executionId, setExecutionId] = useState(null);
  const [running, setRunning] = useState(false);
  // The editor: a draft {id (null for a new workflow), name, description, status, text (the
  // definition as JSON, the source of truth), base (the last text that parsed)}.
  const [draft, setDraft] = useState(null);
  const [saveErrors, setSaveErrors] = useState(noErrors);
  const [saveProblem, setSaveProblem] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState(null);

  const wanted = params.get('workflow');
  // Without a choice in the address: the first active workflow, else the first, else the example.
  const workflow = (wanted === 'example' ? exampleWorkflow : items.find((w) => w.id === wanted)) ?? items.find((w) => w.status === 'active') ?? items[0] ?? exampleWorkflow;
  const fromServer = workflow.id !== 'example';
  const editing = draft !== null;
  const executions = useExecutions(workflow.id, fromServer && !editing);
  const { execution, statuses, problem: executionProblem, setExecution } = useExecution(editing ? null : executionId);
  const parsed = useMemo(() => (draft ? parseDefinition(draft.text) : null), [draft]);
  const definition = (editing ? parsed.value ?? draft.base : workflow.definition) ?? { steps: [] };
  const steps = Array.isArray(definition.steps) ? definition.steps.filter((s) => s && typeof s.id === 'string') : [];
  const graph = useMemo(() => {
    if (!editing) return toGraph(definition, executionId ? statuses : {}, selectedStep);
    const g = toGraph(definition, {}, selectedStep, saveErrors.steps);
    return { ...g, nodes: g.nodes.map((n) => ({ ...n, data: { ...n.data, editable: true } })) };
  }, [editing, definition, statuses, executionId, selectedStep, saveErrors]);
  const step = steps.find((s) => s.id === selectedStep);

  const choose = (id) => {
    setParams(id ? { workflow: id } : {});
    setSelectedStep(null);
    setExecutionId(null);
    setRunning(false);
  };
  // React Flow measures the nodes; their sizes are kept here and handed back with every new
  // set of nodes, else each live update would hide the nodes until they are measured again.
  const flowKey = editing ? `edit-${draft.id ?? 'new'}` : workflow.id;
  const [measured, setMeasured] = useState({ key: null, sizes: {} });
  const onNodesChange = useCallback(
    (changes) => {
      const sizes = {};
      for (const c of changes) {
        if (c.type === 'select' && c.selected) setSelectedStep(c.id);
        if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = { width: c.dimensions.width, height: c.dimensions.height };
      }
      if (Object.keys(sizes).length) setMeasured((m) => ({ key: flowKey, sizes: { ...(m.key === flowKey ? m.sizes : {}), ...sizes } }));
    },
    [flowKey],
  );
  const nodes = useMemo(() => {
    const sizes = measured.key === flowKey ? measured.sizes : {};
    return graph.nodes.map((n) => (sizes[n.id] ? { ...n, measured: sizes[n.id] } : n));
  }, [graph, measured, flowKey]);

  // ---- editing ----
  const startEditing = (w) => {
    const def = w ? structuredClone(w.definition ?? { steps: [] }) : blankDefinition();
    setDraft({ id: w?.id ?? null, name: w?.name ?? '', description: w?.description ?? '', status: w?.status ?? 'draft', text: JSON.stringify(def, null, 2), base: def });
    setSaveErrors(noErrors);
    setSaveProblem(null);
    setNotice(null);
    setRunning(false);
    setExecutionId(null);
    setSelectedStep(w ? null : 'start');
  };
  const stopEditing = () => {
    setDraft(null);
    setSaveErrors(noErrors);
    setSaveProblem(null);
    setSelectedStep(null);
  };
  const setText = (text) =>
    setDraft((d) => {
      const p = parseDefinition(text);
      return { ...d, text, base: p.value ?? d.base };
    });
  // Applies `fn` to the definition being edited (only while the JSON parses).
  const change = useCallback(
    (fn) =>
      setDraft((d) => {
        const current = parseDefinition(d.text).value;
        if (!current) return d;
        const next = fn(current);
        return next === current ? d : { ...d, text: JSON.stringify(next, null, 2), base: next };
      }),
    [],
  );
  // An edited setting no longer shows the server's message about its old value.
  const clearError = (stepId, key) =>
    setSaveErrors((e) => {
      if (!e.steps[stepId]?.[key] && !e.workflow[key]) return e;
      const steps = { ...e.steps };
      if (steps[stepId]) {
        const { [key]: _gone, ...rest } = steps[stepId];
        if (Object.keys(rest).length) steps[stepId] = rest;
        else delete steps[stepId];
      }
      const { [key]: _also, ...workflowRest } = e.workflow;
      return { steps, workflow: stepId ? e.workflow : workflowRest };
    });
  const renameErrors = (from, to) =>
    setSaveErrors((e) => {
      if (!e.steps[from]) return e;
      const { [from]: moved, ...steps } = e.steps;
      return { ...e, steps: { ...steps, [to]: moved } };
    });
  // A removed step's messages go with it, and the summary once nothing is left to fix.
  const forgetStepErrors = (id) => {
    if (!saveErrors.steps[id]) return;
    const { [id]: _gone, ...rest } = saveErrors.steps;
    setSaveErrors({ ...saveErrors, steps: rest });
    if (!Object.keys(rest).length && !Object.keys(saveErrors.workflow).length) setSaveProblem(null);
  };
  const add = (type) => {
    const extra = type === 'sub_workflow' ? { workflow_id: items.find((w) => w.status === 'active' && w.id !== draft.id)?.id ?? '' } : {};
    const created = newStep(definition, type, extra);
    const after = steps.some((s) => s.id === selectedStep) ? selectedStep : steps.at(-1)?.id;
    change((d) => addStepAfter(d, created, after));
    setSelectedStep(created.id);
  };
  const onConnect = useCallback(
    ({ source, target }) => change((d) => connect(d, source, target, d.steps.find((s) => s.id === source)?.type === 'parallel' ? 'branch' : 'after')),
    [change],
  );
  const save = async () => {
    const p = parseDefinition(draft.text);
    if (p.error || saving) return;
    if (!draft.name.trim()) {
      setSaveErrors({ steps: {}, workflow: { name: 'Give the workflow a name.' } });
      setSaveProblem({ message: 'The workflow needs a name.' });
      return;
    }
    setSaving(true);
    const body = { name: draft.name.trim(), description: draft.description, status: draft.status, definition: p.value };
    try {
      const { data } = draft.id ? await api.patch(`/workflows/${draft.id}`, body) : await api.post('/workflows', body);
      stopEditing();
      upsert(data);
      choose(data.id);
      setNotice(`“${data.name}” was saved${data.status === 'active' ? '' : ` as ${data.status}`}.`);
      reload();
    } catch (e) {
      const prob = problemOf(e);
      const list = e?.response?.data?.errors ?? prob.fields;
      const count = Array.isArray(list) ? list.length : Object.keys(list).length;
      const found = errorsByStep(p.value, list);
      setSaveErrors(found);
      setSaveProblem(count ? { ...prob, message: `${count === 1 ? 'One problem was found' : `${count} problems were found`}: see the marked steps and fields.` } : prob);
      // Show the first step with a problem, so its messages are next to its fields.
      const first = p.value.steps?.find((s) => found.steps[s.id]);
      if (first && !found.steps[selectedStep]) setSelectedStep(first.id);
    } finally {
      setSaving(false);
    }
  };

  const flow = (
    <section className="card flow" style={{ height: graph.height }} aria-label={editing ? 'Workflow graph: select a step to edit it; drag from a step’s right edge to another step to connect them' : 'Workflow graph: pan and zoom; select a step to see its settings'}>
      {steps.length ? (
        <ReactFlow
          key={flowKey}
          nodes={nodes}
          edges={graph.edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onNodeClick={(_, node) => setSelectedStep(node.id)}
          onPaneClick={() => setSelectedStep(null)}
          onConnect={editing ? onConnect : undefined}
          nodesDraggable={false}
          nodesConnectable={editing}
          deleteKeyCode={null}
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1.15 }}
          minZoom={0.3}
          maxZoom={1.8}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={20} size={1} color="#d8dee9" />
          <Controls showInteractive={false} />
          {editing && <FitOnChange layout={graph.nodes.map((n) => `${n.id}@${n.position.x},${n.position.y}`).join(' ')} />}
        </ReactFlow>
      ) : (
        <Empty title="This workflow has no steps." icon="workflows">
          {editing ? 'Add one with “Add a step”.' : null}
        </Empty>
      )}
    </section>
  );

  const stepList = (
    <ul className="step-list" aria-label="Steps">
      {steps.map((s, i) => (
        <li key={`${s.id}-${i}`}>
          <button type="button" className={`step-button${s.id === selectedStep ? ' active' : ''}`} aria-pressed={s.id === selectedStep} onClick={() => setSelectedStep(s.id)}>
            <span className="step-id" title={s.id}>
              {s.id}
            </span> <span className="muted small">{s.type}</span>{' '}
            {!editing && executionId && statuses[s.id] && <StatusBadge status={statuses[s.id]} />}
            {editing && saveErrors.steps[s.id] && <span className="badge tone-bad">problem</span>}
          </button>
        </li>
      ))}
    </ul>
  );

  return (
    <>
      <PageHeader title="Workflows" subtitle="Business processes across agents, step by step">
        {canEdit && !editing && !loading && !unavailable && (
          <button type="button" className="button primary" onClick={() => startEditing(null)}>
            <Icon name="plus" size={16} /> New workflow
          </button>
        )}
      </PageHeader>
      {unavailable && (
        <Notice>
          <strong>Workflows are not available on this server yet.</strong> You can still explore the example definition below.
        </Notice>
      )}
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {notice && !editing && (
        <div className="notice notice-ok notice-row" role="status">
          <span>
            <Icon name="check" size={15} /> {notice}
          </span>
          <button type="button" className="button link small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      {loading ? (
        <Loading what="Loading workflows" />
      ) : editing ? (
        <>
          <WorkflowForm
            draft={draft}
            setDraft={setDraft}
            definition={definition}
            jsonOk={!parsed.error}
            change={change}
            errors={saveErrors.workflow}
            clearError={(key) => clearError(null, key)}
            problem={saveProblem}
            saving={saving}
            onSave={save}
            onCancel={stopEditing}
            onShowStep={setSelectedStep}
            stepErrors={saveErrors.steps}
          />
          <StepToolbar definition={definition} disabled={!!parsed.error} selected={selectedStep} onAdd={add} onConnect={(from, to, how) => change((d) => connect(d, from, to, how))} />
          <div className="workflow-layout">
            <div className="workflow-main">
              {flow}
              <DefinitionEditor text={draft.text} onText={setText} jsonError={parsed.error} errors={saveErrors.workflow} />
            </div>
            <div className="workflow-side">
              <section className="card" aria-labelledby="step-title">
                <h2 id="step-title">{step ? `Step ${step.id}` : 'Steps'}</h2>
                {step ? (
                  <StepEditor
                    key={step.id}
                    step={step}
                    definition={definition}
                    workflows={items.filter((w) => w.id !== draft.id)}
                    errors={saveErrors.steps[step.id] ?? {}}
                    disabled={!!parsed.error}
                    change={change}
                    clearError={(key) => clearError(step.id, key)}
                    onRenamed={(from, to) => {
                      renameErrors(from, to);
                      setSelectedStep(to);
                    }}
                    onRemoved={() => {
                      forgetStepErrors(step.id);
                      setSelectedStep(null);
                    }}
                    onClose={() => setSelectedStep(null)}
                  />
                ) : (
                  <p className="muted">Select a step in the graph, or below, to edit its settings.</p>
                )}
                {!step && stepList}
              </section>
            </div>
          </div>
        </>
      ) : (
        <>
          <div className="workflow-bar card">
            <div className="workflow-bar-top">
              <div className="field">
                <label htmlFor="workflow-select">Workflow</label>
                <select id="workflow-select" value={workflow.id} onChange={(e) => choose(e.target.value)}>
                  {items.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.name} ({w.status})
                    </option>
                  ))}
                  <option value="example">{exampleWorkflow.name}</option>
                </select>
              </div>
              <div className="row workflow-actions">
                {fromServer && canEdit && (
                  <button type="button" className="button secondary" onClick={() => startEditing(workflow)}>
                    <Icon name="edit" size={16} /> Edit
                  </button>
                )}
                {fromServer && canRun && workflow.status === 'active' && (
                  <button type="button" className="button primary" onClick={() => setRunning(!running)} aria-expanded={running}>
                    <Icon name="play" size={16} /> Run…
                  </button>
                )}
              </div>
            </div>
            {workflow.description && <p className="muted workflow-desc">{workflow.description}</p>}
            <dl className="workflow-facts">
              <div>
                <dt>Status</dt>
                <dd>{fromServer ? <StatusBadge status={workflow.status} /> : <span className="badge tone-info">example</span>}</dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>{triggerText(definition.trigger)}</dd>
              </div>
              <div>
                <dt>Steps</dt>
                <dd>{steps.length}</dd>
              </div>
              {fromServer && definition.trigger?.type === 'webhook' && <WebhookFact workflow={workflow} canEdit={canEdit} onRotated={upsert} />}
            </dl>
            {fromServer && canRun && workflow.status !== 'active' && (
              <p className="muted small workflow-hint">Only active workflows run{canEdit ? ': edit it and set its status to active.' : '.'}</p>
            )}
          </div>
          {!unavailable && items.length === 0 && !problem && <Notice>No workflows have been created yet: showing the built-in example.{canEdit ? ' Create one with “New workflow”.' : ''}</Notice>}
          <div className="workflow-layout">
            {flow}
            <div className="workflow-side">
              <section className="card" aria-labelledby="step-title" aria-live="polite">
                <h2 id="step-title">{step ? `Step ${step.id}` : 'Step settings'}</h2>
                {step ? (
                  <>
                    <p className="muted small">
                      {step.type} · {describeStep(step)}
                      {statuses[step.id] && executionId ? (
                        <>
                          {' '}
                          · <StatusBadge status={statuses[step.id]} />
                        </>
                      ) : null}
                    </p>
                    {execution ? (
                      <>
                        <StepRun executionId={execution.id} run={execution.steps?.find((r) => r.id === step.id)} message={step.message} onChanged={setExecution} />
                        <details className="step-settings">
                          <summary>Settings</summary>
                          <JsonView value={step} label={`Settings of step ${step.id}`} />
                        </details>
                      </>
                    ) : (
                      <JsonView value={step} label={`Settings of step ${step.id}`} />
                    )}
                  </>
                ) : (
                  <p className="muted">Select a step in the graph, or below, to see {execution ? 'what it did in the selected execution' : 'its settings'}.</p>
                )}
                {stepList}
              </section>
              {fromServer && (
                <ExecutionsCard
                  workflow={workflow}
                  canRun={canRun}
                  running={running}
                  setRunning={setRunning}
                  executions={executions}
                  executionId={executionId}
                  setExecutionId={setExecutionId}
                  execution={execution}
                  executionProblem={executionProblem}
                  setExecution={setExecution}
                  onShowStep={setSelectedStep}
                />
              )}
            </div>
          </div>
        </>
      )}
    </>
  );
}
