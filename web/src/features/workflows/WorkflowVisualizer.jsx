import { useEffect, useMemo, useState } from 'react';
import { Background, Controls, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { api, problemOf } from '../../services/api.js';
import { JsonView, Loading, PageHeader } from '../../components/ui.jsx';
import { exampleDefinition, toGraph } from './graph.js';

export default function WorkflowVisualizer() {
  const [workflows, setWorkflows] = useState(null);
  const [notice, setNotice] = useState(null);
  const [selectedWorkflow, setSelectedWorkflow] = useState('example');
  const [selectedStep, setSelectedStep] = useState(null);
  useEffect(() => {
    api
      .get('/workflows')
      .then((r) => setWorkflows(r.data.items))
      .catch((e) => {
        const p = problemOf(e);
        setWorkflows([]);
        setNotice(p.status === 404 ? 'The workflow engine is not available on this server yet: showing the example definition.' : p.message);
      });
  }, []);
  const definition = useMemo(() => {
    if (selectedWorkflow === 'example') return exampleDefinition;
    return workflows?.find((w) => w.id === selectedWorkflow)?.definition ?? exampleDefinition;
  }, [selectedWorkflow, workflows]);
  const graph = useMemo(() => toGraph(definition), [definition]);
  const step = definition.steps.find((s) => s.id === selectedStep);
  return (
    <>
      <PageHeader title="Workflows" subtitle="Business processes across agents, step by step" />
      {notice && <p className="notice">{notice}</p>}
      {workflows === null ? (
        <Loading what="Loading workflows" />
      ) : (
        <>
          <label className="inline">
            Workflow
            <select value={selectedWorkflow} onChange={(e) => (setSelectedWorkflow(e.target.value), setSelectedStep(null))}>
              <option value="example">Example: echo, condition, delay, approval</option>
              {workflows.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
          <div className="grid workflow">
            <div className="card flow" aria-label="Workflow graph: select a step to see its settings">
              <ReactFlow nodes={graph.nodes} edges={graph.edges} fitView onNodeClick={(_, node) => setSelectedStep(node.id)} nodesDraggable={false}>
                <Background />
                <Controls />
              </ReactFlow>
            </div>
            <aside className="card" aria-live="polite">
              <h2>{step ? `Step ${step.id}` : 'Step settings'}</h2>
              {step ? <JsonView value={step} label="Step settings" /> : <p className="muted">Select a step in the graph (or tab to it and press Enter).</p>}
              <ul className="step-list">
                {definition.steps.map((s) => (
                  <li key={s.id}>
                    <button type="button" className={`link${s.id === selectedStep ? ' active' : ''}`} onClick={() => setSelectedStep(s.id)}>
                      {s.id} <span className="muted">{s.type}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </aside>
          </div>
        </>
      )}
    </>
  );
}
