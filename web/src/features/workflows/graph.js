// A workflow definition's steps as graph nodes and edges, laid out in layers by dependency.
// `stepStates`: {step id: status} of an execution, `errors`: {step id: message}.
export function toGraph(definition, liveStep = null, stepStates = {}, errors = {}) {
  const steps = definition?.steps ?? [];
  const edges = [];
  const parents = new Map(steps.map((s) => [s.id, []]));
  for (const step of steps) {
    for (const dep of step.depends_on ?? []) {
      edges.push({ id: `${dep}->${step.id}`, source: dep, target: step.id });
      parents.get(step.id)?.push(dep);
    }
    for (const [branch, targets] of [['then', step.then], ['else', step.else]]) {
      for (const target of targets ?? []) {
        edges.push({ id: `${step.id}-${branch}->${target}`, source: step.id, target, label: branch });
        parents.get(target)?.push(step.id);
      }
    }
  }
  const layer = new Map();
  const depth = (id, seen = new Set()) => {
    if (layer.has(id)) return layer.get(id);
    if (seen.has(id)) return 0; // a cycle: the server refuses those, draw it flat
    seen.add(id);
    const d = Math.max(-1, ...(parents.get(id) ?? []).map((p) => depth(p, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  const perLayer = new Map();
  const nodes = steps.map((step) => {
    const d = depth(step.id);
    const row = perLayer.get(d) ?? 0;
    perLayer.set(d, row + 1);
    return {
      id: step.id,
      position: { x: d * 220, y: row * 110 },
      sourcePosition: 'right',
      targetPosition: 'left',
      data: { label: `${step.id} · ${step.type}${stepStates[step.id] ? ` · ${stepStates[step.id]}` : ''}`, step },
      className: `wf-node wf-${step.type}${liveStep === step.id ? ' wf-live' : ''}${stepStates[step.id] ? ` wf-status-${stepStates[step.id]}` : ''}${errors[step.id] ? ' wf-invalid' : ''}`,
    };
  });
  return { nodes, edges };
}

// The example of DESIGN.md: what the visualizer shows before the workflow engine exists.
export const exampleDefinition = {
  trigger: { type: 'manual' },
  steps: [
    { id: 'a', type: 'task', task_type: 'echo', input: { v: '{{input.v}}' } },
    { id: 'c', type: 'condition', depends_on: ['a'], expression: 'steps.a.output.v > 10', then: ['big'], else: ['small'] },
    { id: 'big', type: 'task', task_type: 'echo', input: { size: 'big' } },
    { id: 'small', type: 'task', task_type: 'echo', input: { size: 'small' } },
    { id: 'wait', type: 'delay', depends_on: ['big'], seconds: 5 },
    { id: 'ok', type: 'approval', depends_on: ['wait'], role: 'manager' },
  ],
  output: { size: '{{steps.big.output.size}}' },
};

// Server validation errors ("definition.steps[2].task_type") grouped by step id.
export function errorsByStep(definition, problemFields = {}) {
  const out = {};
  for (const [field, message] of Object.entries(problemFields)) {
    const match = /^definition\.steps\[(\d+)\](?:\.(.+))?$/.exec(field);
    const step = match ? definition?.steps?.[Number(match[1])] : null;
    const key = step?.id ?? '(workflow)';
    out[key] = [...(out[key] ?? []), `${match?.[2] ?? field}: ${message}`].join('; ');
  }
  return out;
}

const templates = {
  task: { task_type: 'echo', input: {} },
  condition: { expression: 'true', then: [], else: [] },
  parallel: { branches: [] },
  delay: { seconds: 5 },
  approval: { role: 'manager' },
  notify: { topic: 'workflows.notice', payload: {} },
};
export const addableTypes = Object.keys(templates);

// A new step of `type` with an id not yet used.
export function newStep(definition, type) {
  const ids = new Set((definition.steps ?? []).map((s) => s.id));
  let n = 1;
  while (ids.has(`${type}${n}`)) n++;
  return { id: `${type}${n}`, type, ...structuredClone(templates[type]) };
}

// Makes `to` depend on `from` (no duplicates).
export function connect(definition, from, to) {
  return {
    ...definition,
    steps: definition.steps.map((s) =>
      s.id === to ? { ...s, depends_on: [...new Set([...(s.depends_on ?? []), from])] } : s,
    ),
  };
}
