// A workflow definition's steps as graph nodes and edges, laid out left to right in layers by
// dependency. Edges: depends_on (parent -> step), condition then/else (labelled), parallel
// branches. `statuses` maps step id -> status of a chosen execution, to colour the nodes;
// `errors` maps step id -> {field: message} (from errorsByStep), shown on the nodes.
// Everything in this file is pure: no React, no requests.
export const columnWidth = 240;
export const rowHeight = 100;

export function toGraph(definition, statuses = {}, selected = null, errors = {}) {
  const steps = Array.isArray(definition?.steps) ? definition.steps.filter((s) => s && typeof s.id === 'string') : [];
  const ids = new Set(steps.map((s) => s.id));
  const edges = [];
  const parents = new Map(steps.map((s) => [s.id, []]));
  const link = (source, target, kind, label) => {
    if (!ids.has(source) || !ids.has(target)) return;
    const id = `${source}-${kind}->${target}`;
    if (edges.some((e) => e.id === id)) return;
    edges.push({
      id,
      source,
      target,
      label,
      className: `wf-edge wf-edge-${kind}`,
      animated: statuses[source] === 'completed' && statuses[target] === 'running',
    });
    parents.get(target).push(source);
  };
  for (const step of steps) {
    for (const dep of step.depends_on ?? []) link(dep, step.id, 'dep');
    for (const target of step.then ?? []) link(step.id, target, 'then', 'then');
    for (const target of step.else ?? []) link(step.id, target, 'else', 'else');
    for (const target of step.branches ?? []) link(step.id, target, 'branch', 'branch');
  }

  // Layer = longest path from a root; a cycle (the server refuses those) is drawn flat.
  const layer = new Map();
  const visiting = new Set();
  const depth = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...parents.get(id).map(depth)) + 1;
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  const columns = new Map();
  for (const step of steps) {
    const d = depth(step.id);
    if (!columns.has(d)) columns.set(d, []);
    columns.get(d).push(step.id);
  }
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  // Nodes that carry error messages are taller: give every row room for them.
  const problems = (id) => Object.entries(errors?.[id] ?? {}).map(([field, message]) => ({ field, message }));
  const rowGap = steps.some((s) => problems(s.id).length) ? rowHeight + 40 : rowHeight;
  const position = new Map();
  for (const [d, column] of columns) {
    const offset = ((tallest - column.length) * rowGap) / 2; // centre shorter columns
    column.forEach((id, row) => position.set(id, { x: d * columnWidth, y: offset + row * rowGap }));
  }

  const nodes = steps.map((step) => {
    const stepErrors = problems(step.id);
    const status = statuses[step.id] ?? null;
    return {
      id: step.id,
      type: 'step',
      position: position.get(step.id),
      data: { step, status, errors: stepErrors },
      selected: step.id === selected,
      ariaLabel: `Step ${step.id}, ${step.type}${status ? `, ${status}` : ''}${stepErrors.length ? `, ${stepErrors.length === 1 ? '1 problem' : `${stepErrors.length} problems`}` : ''}`,
      // The node's messages (rendered by the node as #node-errors-<id>) describe it.
      ...(stepErrors.length ? { domAttributes: { 'aria-describedby': `node-errors-${step.id}` } } : {}),
    };
  });
  // A canvas tall enough for the tallest column, within reason.
  const height = Math.max(340, Math.min(640, tallest * rowGap + 180));
  return { nodes, edges, height };
}

// A one-line summary of what a step does, for the node and the step list.
export function describeStep(step) {
  switch (step.type) {
    case 'task':
      return step.task_type ? `runs ${step.task_type}` : 'runs a task';
    case 'condition':
      return step.expression ? `if ${step.expression}` : 'condition';
    case 'delay':
      return `waits ${step.seconds ?? '?'} s`;
    case 'approval':
      return `needs ${step.role ?? 'manager'} approval`;
    case 'parallel':
      return `runs ${step.branches?.length ?? 0} branches`;
    case 'notify':
      return step.topic ? `notifies ${step.topic}` : 'notifies an agent';
    case 'http':
      return `${step.method ?? 'GET'} ${step.url ?? '?'}`;
    case 'sub_workflow':
      return 'runs another workflow';
    case 'llm':
      return typeof step.prompt === 'object' && step.prompt ? `asks a model (prompt ${step.prompt.name ?? '?'})` : 'asks a model';
    case 'integration':
      return `${step.action ?? 'acts'} via ${step.integration || 'an integration'}`;
    default:
      return step.type;
  }
}

// The example of DESIGN.md section 6: always viewable, and all there is before the engine exists.
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

export const exampleWorkflow = {
  id: 'example',
  name: 'Example: echo, condition, delay, approval',
  description: 'The example definition of the design document (built in, read only).',
  status: 'example',
  definition: exampleDefinition,
};

// ---- the editor ---------------------------------------------------------------------------

// Every step type of docs/workflows.md, with what a new step of that type starts with: the
// fields the server requires, filled with something that passes its checks.
const templates = {
  task: { task_type: 'echo', input: {} },
  condition: { expression: 'true', then: [], else: [] },
  parallel: { branches: [] },
  delay: { seconds: 5 },
  approval: { role: 'manager' },
  http: { method: 'GET', url: 'https://example.com/' },
  notify: { topic: 'workflows.notice', payload: {} },
  sub_workflow: { workflow_id: '', input: {} },
  llm: { prompt: 'Summarise: {{input.text}}' },
  integration: { integration: '', action: 'post_message', input: { text: '{{input.text}}' } },
};
export const stepTypes = Object.keys(templates);
export const approvalRoles = ['manager', 'operator', 'admin'];
export const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const workflowStatuses = ['draft', 'active', 'archived'];

// What a new workflow starts with: a manual trigger and one echo task.
export const blankDefinition = () => ({
  trigger: { type: 'manual' },
  steps: [{ id: 'start', type: 'task', task_type: 'echo', input: { message: '{{input.message}}' } }],
});

const triggerTemplates = {
  manual: { type: 'manual' },
  webhook: { type: 'webhook', respond_with_output: false },
  schedule: { type: 'schedule', cron: '0 9 * * 1-5', timezone: 'UTC' },
  event: { type: 'event', topic: 'tasks.failed' },
};
export const triggerTypes = Object.keys(triggerTemplates);

// The definition with a trigger of another type (its settings start from an example).
export function setTrigger(definition, type) {
  if (definition?.trigger?.type === type) return definition;
  return { ...definition, trigger: structuredClone(triggerTemplates[type] ?? { type }) };
}

// The JSON editor's text as a definition: { value } or { error } in words.
export function parseDefinition(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${e.message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'The definition must be a JSON object with "trigger" and "steps".' };
  if (value.steps !== undefined && !Array.isArray(value.steps)) return { error: '"steps" must be a list of steps.' };
  return { value };
}

const stepsOf = (definition) => (Array.isArray(definition?.steps) ? definition.steps : []);

// A new step of `type` with an id not used yet (task1, task2, …), plus `extra` settings.
export function newStep(definition, type, extra = {}) {
  const ids = new Set(stepsOf(definition).map((s) => s.id));
  const base = type.replace(/[^A-Za-z0-9_-]/g, '_');
  let n = 1;
  while (ids.has(`${base}${n}`)) n++;
  return { id: `${base}${n}`, type, ...structuredClone(templates[type] ?? {}), ...extra };
}

// A task step's input as key/value rows for the form: text values as they are, others as JSON.
export function inputRows(input) {
  const object = input && typeof input === 'object' && !Array.isArray(input) ? input : {};
  return Object.entries(object).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));
}

// The rows back as an object: a value that reads as JSON other than a string (42, true,
// [1, 2], {"a": 1}, null) is kept as that, anything else (a template too) as text; rows
// without a key are left out.
export function inputFromRows(rows) {
  const input = {};
  for (const { key, value } of rows) {
    if (!key.trim()) continue;
    let parsed = value;
    try {
      const json = JSON.parse(value);
      if (typeof json !== 'string') parsed = json;
    } catch {
      // text, such as a template
    }
    input[key.trim()] = parsed;
  }
  return input;
}

// The definition with `step` appended.
export const addStep = (definition, step) => ({ ...definition, steps: [...stepsOf(definition), step] });

// A new step appended and run after `afterId` (the selected step, else the last one), so
// that it is connected rather than left alone.
export function addStepAfter(definition, step, afterId) {
  const added = addStep(definition, step);
  return afterId ? connect(added, afterId, step.id, 'after') : added;
}

// How `from` may lead to another step: every step can be a dependency ("after": the target
// runs after it); a condition also chooses a branch, a parallel step starts branches.
export function connectionKinds(step) {
  if (step?.type === 'condition') return ['then', 'else', 'after'];
  if (step?.type === 'parallel') return ['branch', 'after'];
  return ['after'];
}
export const connectionLabels = { after: 'runs after it (depends_on)', then: 'then branch', else: 'else branch', branch: 'parallel branch' };

const addOnce = (list, id) => (Array.isArray(list) && list.includes(id) ? list : [...(Array.isArray(list) ? list : []), id]);

// Connects two steps: `how` = after (to.depends_on += from), then/else (a condition's branch),
// branch (a parallel step's branches). No duplicates; unknown ids or a step to itself change nothing.
export function connect(definition, from, to, how = 'after') {
  const steps = stepsOf(definition);
  if (from === to || !steps.some((s) => s.id === from) || !steps.some((s) => s.id === to)) return definition;
  const key = { then: 'then', else: 'else', branch: 'branches' }[how];
  return {
    ...definition,
    steps: steps.map((s) => {
      if (how === 'after') return s.id === to ? { ...s, depends_on: addOnce(s.depends_on, from) } : s;
      return s.id === from ? { ...s, [key]: addOnce(s[key], to) } : s;
    }),
  };
}

// Changes settings of one step; a value of undefined removes the setting.
export function updateStep(definition, id, changes) {
  return {
    ...definition,
    steps: stepsOf(definition).map((s) => {
      if (s.id !== id) return s;
      const next = { ...s, ...changes };
      for (const [k, v] of Object.entries(changes)) if (v === undefined) delete next[k];
      return next;
    }),
  };
}

const refKeys = ['depends_on', 'then', 'else', 'branches'];

// Removes a step and every reference to it (dependencies, branches, failure paths).
export function removeStep(definition, id) {
  return {
    ...definition,
    steps: stepsOf(definition)
      .filter((s) => s.id !== id)
      .map((s) => {
        const next = { ...s };
        for (const k of refKeys) if (Array.isArray(s[k]) && s[k].includes(id)) next[k] = s[k].filter((r) => r !== id);
        if (s.on_failure === id) delete next.on_failure;
        return next;
      }),
  };
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Why `to` cannot be the new id of a step (null when it can).
export function stepIdProblem(definition, from, to) {
  if (!to) return 'Give the step an id.';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(to)) return "Use letters, digits, '_' and '-' only (at most 64).";
  if (to !== from && stepsOf(definition).some((s) => s.id === to)) return `Another step is already called "${to}".`;
  return null;
}

// Renames a step and what refers to it: dependencies, branches, failure paths, and
// `steps.<id>` in expressions and templates.
export function renameStep(definition, from, to) {
  if (from === to || stepIdProblem(definition, from, to)) return definition;
  const pattern = new RegExp(`\\bsteps\\.${escape(from)}(?![A-Za-z0-9_-])`, 'g');
  const rewrite = (v) => {
    if (typeof v === 'string') return v.replace(pattern, `steps.${to}`);
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x)]));
    return v;
  };
  const steps = stepsOf(definition).map((s) => {
    const next = rewrite({ ...s });
    next.id = s.id === from ? to : s.id;
    next.type = s.type;
    for (const k of refKeys) if (Array.isArray(s[k])) next[k] = s[k].map((r) => (r === from ? to : r));
    if (s.on_failure === from) next.on_failure = to;
    return next;
  });
  return { ...definition, steps, ...(definition.output !== undefined ? { output: rewrite(definition.output) } : {}) };
}

// A 422's errors (`[{field, message}]`, or {field: message}) sorted to where they belong:
// `steps` = {step id: {setting: message}} for "definition.steps[2].expression" (the index
// read in `definition`, the one that was sent); `workflow` = {field: message} for the rest
// ("name", "definition.trigger.cron", "definition.output", …). Several messages for one
// place are joined; a deeper path keeps its tail in the message ("input.a: …").
export function errorsByStep(definition, errors = []) {
  const list = Array.isArray(errors) ? errors : Object.entries(errors ?? {}).map(([field, message]) => ({ field, message }));
  const out = { steps: {}, workflow: {} };
  const put = (target, key, message) => {
    target[key] = target[key] ? `${target[key]} ${message}` : message;
  };
  const steps = stepsOf(definition);
  for (const { field = '', message = '' } of list) {
    const match = /^definition\.steps\[(\d+)\](?:\.([A-Za-z0-9_]+)(.*))?$/.exec(field);
    const step = match ? steps[Number(match[1])] : null;
    if (!step || typeof step.id !== 'string') {
      put(out.workflow, field || 'definition', message);
      continue;
    }
    const key = match[2] ?? 'step';
    const tail = match[3] ? `${match[2]}${match[3]}: ` : '';
    out.steps[step.id] ??= {};
    put(out.steps[step.id], key, `${tail}${message}`);
  }
  return out;
}
