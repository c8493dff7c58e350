import { describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import {
  addStep,
  addStepAfter,
  inputFromRows,
  inputRows,
  blankDefinition,
  connect,
  connectionKinds,
  describeStep,
  errorsByStep,
  exampleDefinition,
  newStep,
  parseDefinition,
  removeStep,
  renameStep,
  setTrigger,
  stepIdProblem,
  stepTypes,
  toGraph,
  updateStep,
} from './graph.js';
import WorkflowVisualizer from './WorkflowVisualizer.jsx';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, operator, problem, signedIn, viewer } from '../../test/mockApi.js';

describe('toGraph', () => {
  it('draws depends_on and condition branches as edges, in dependency layers', () => {
    const { nodes, edges } = toGraph(exampleDefinition);
    expect(nodes.map((n) => n.id)).toEqual(['a', 'c', 'big', 'small', 'wait', 'ok']);
    expect(edges.map((e) => e.id).sort()).toEqual(['a-dep->c', 'big-dep->wait', 'c-else->small', 'c-then->big', 'wait-dep->ok'].sort());
    expect(edges.find((e) => e.id === 'c-then->big').label).toBe('then');
    const x = Object.fromEntries(nodes.map((n) => [n.id, n.position.x]));
    expect(x.a).toBeLessThan(x.c);
    expect(x.c).toBeLessThan(x.big);
    expect(x.big).toBe(x.small);
    expect(x.wait).toBeLessThan(x.ok);
  });

  it('carries the live status of an execution and the selection', () => {
    const { nodes, edges } = toGraph(exampleDefinition, { a: 'completed', c: 'completed', big: 'running', small: 'skipped' }, 'big');
    const big = nodes.find((n) => n.id === 'big');
    expect(big.data.status).toBe('running');
    expect(big.selected).toBe(true);
    expect(big.ariaLabel).toBe('Step big, task, running');
    expect(edges.find((e) => e.id === 'c-then->big').animated).toBe(true);
  });

  it('draws parallel branches and ignores references to unknown steps', () => {
    const { edges } = toGraph({ steps: [{ id: 'p', type: 'parallel', branches: ['x', 'y'] }, { id: 'x', type: 'task' }, { id: 'y', type: 'task', depends_on: ['ghost'] }] });
    expect(edges.map((e) => e.id)).toEqual(['p-branch->x', 'p-branch->y']);
  });

  it('survives a malformed definition', () => {
    expect(toGraph(null).nodes).toEqual([]);
    expect(toGraph({ steps: [{ id: 'a', type: 'task', depends_on: ['b'] }, { id: 'b', type: 'task', depends_on: ['a'] }] }).nodes).toHaveLength(2);
  });

  it('describes steps in words', () => {
    expect(describeStep({ type: 'task', task_type: 'echo' })).toBe('runs echo');
    expect(describeStep({ type: 'approval', role: 'manager' })).toBe('needs manager approval');
    expect(describeStep({ type: 'integration', integration: 'Sales Slack', action: 'post_message' })).toBe('post_message via Sales Slack');
    expect(describeStep({ type: 'delay', seconds: 5 })).toBe('waits 5 s');
  });
});

describe('WorkflowVisualizer', () => {
  const renderIt = () => {
    setSession(signedIn(admin));
    render(<Provider store={makeStore()}><MemoryRouter><WorkflowVisualizer /></MemoryRouter></Provider>);
  };

  it('says workflows are not available on a 404, and shows the built-in example', async () => {
    mockApi({ 'GET /workflows': () => problem(404, 'Not Found', 'no route') });
    renderIt();
    expect(await screen.findByText('Workflows are not available on this server yet.')).toBeTruthy();
    expect(screen.getByLabelText('Workflow').value).toBe('example');
    expect(screen.getAllByRole('button', { name: /^(a|c|big|small|wait|ok) / })).toHaveLength(6);
  });

  it('lists the server workflows first', async () => {
    mockApi({
      'GET /workflows': () => [200, { items: [{ id: 'w1', name: 'Lead triage', status: 'active', definition: { trigger: { type: 'manual' }, steps: [{ id: 'receive', type: 'task', task_type: 'echo' }] } }], next_cursor: null }],
      'GET /workflow-executions': () => [200, { items: [], next_cursor: null }],
    });
    renderIt();
    expect(await screen.findByRole('option', { name: 'Lead triage (active)' })).toBeTruthy();
    expect(screen.getByLabelText('Workflow').value).toBe('w1');
    expect(await screen.findByText('Not run yet.')).toBeTruthy();
    // "Run…" takes the focus into its input; Escape closes it.
    fireEvent.click(screen.getByRole('button', { name: /Run/ }));
    expect(document.activeElement).toBe(screen.getByLabelText('Input (JSON)'));
    fireEvent.keyDown(document.activeElement, { key: 'Escape' });
    expect(screen.queryByLabelText('Input (JSON)')).toBeNull();
  });
});

describe('editor helpers', () => {
  const two = { trigger: { type: 'manual' }, steps: [{ id: 'a', type: 'task', task_type: 'echo' }, { id: 'b', type: 'task', task_type: 'echo' }] };

  it('offers every step type of docs/workflows.md', () => {
    expect(stepTypes.sort()).toEqual(['approval', 'condition', 'delay', 'http', 'integration', 'llm', 'notify', 'parallel', 'sub_workflow', 'task']);
  });

  it('makes new steps with unused ids and the settings the server requires', () => {
    const def = { steps: [{ id: 'task1', type: 'task' }, { id: 'task3', type: 'task' }] };
    expect(newStep(def, 'task')).toEqual({ id: 'task2', type: 'task', task_type: 'echo', input: {} });
    expect(newStep({ steps: [] }, 'condition')).toEqual({ id: 'condition1', type: 'condition', expression: 'true', then: [], else: [] });
    expect(newStep({}, 'approval')).toEqual({ id: 'approval1', type: 'approval', role: 'manager' });
    expect(newStep({}, 'delay').seconds).toBe(5);
    expect(newStep({}, 'notify').topic).toMatch(/^workflows\./);
    expect(newStep({}, 'http').url).toMatch(/^https:\/\//);
    expect(newStep({}, 'sub_workflow', { workflow_id: 'w-2' })).toEqual({ id: 'sub_workflow1', type: 'sub_workflow', workflow_id: 'w-2', input: {} });
    // Templates are copied, never shared between steps.
    const one = newStep({}, 'parallel');
    one.branches.push('x');
    expect(newStep({}, 'parallel').branches).toEqual([]);
    expect(addStep(two, one).steps.map((s) => s.id)).toEqual(['a', 'b', 'parallel1']);
    expect(two.steps).toHaveLength(2);
  });

  it('reads a task input as key/value rows and back, JSON values kept as their type', () => {
    expect(inputRows({ a: '{{input.x}}', n: 2, list: [1] })).toEqual([{ key: 'a', value: '{{input.x}}' }, { key: 'n', value: '2' }, { key: 'list', value: '[1]' }]);
    expect(inputFromRows([{ key: ' a ', value: '{{input.x}}' }, { key: 'n', value: '2' }, { key: '', value: 'dropped' }, { key: 's', value: '"quoted"' }])).toEqual({ a: '{{input.x}}', n: 2, s: '"quoted"' });
  });

  it('connects a new step to the selected step, else to the last one', () => {
    const def = { trigger: { type: 'manual' }, steps: [{ id: 'a', type: 'delay', seconds: 0 }, { id: 'b', type: 'delay', seconds: 0 }] };
    expect(addStepAfter(def, { id: 'c', type: 'delay', seconds: 0 }, 'a').steps[2].depends_on).toEqual(['a']);
    expect(addStepAfter(def, { id: 'c', type: 'delay', seconds: 0 }, 'b').steps[2].depends_on).toEqual(['b']);
    expect(addStepAfter({ steps: [] }, { id: 'c', type: 'delay', seconds: 0 }, undefined).steps).toEqual([{ id: 'c', type: 'delay', seconds: 0 }]);
  });

  it('connects steps as a dependency, a condition branch or a parallel branch, without duplicates', () => {
    const after = connect(two, 'a', 'b');
    expect(after.steps[1].depends_on).toEqual(['a']);
    expect(connect(after, 'a', 'b')).toEqual(after);
    expect(two.steps[1].depends_on).toBeUndefined();
    const cond = { steps: [{ id: 'c', type: 'condition', expression: 'true', then: [], else: [] }, { id: 'yes', type: 'task' }, { id: 'no', type: 'task' }] };
    const branched = connect(connect(cond, 'c', 'yes', 'then'), 'c', 'no', 'else');
    expect(branched.steps[0]).toMatchObject({ then: ['yes'], else: ['no'] });
    expect(branched.steps[1].depends_on).toBeUndefined();
    expect(connect({ steps: [{ id: 'p', type: 'parallel' }, { id: 'x', type: 'task' }] }, 'p', 'x', 'branch').steps[0].branches).toEqual(['x']);
    // A step to itself, or an unknown step: nothing changes.
    expect(connect(two, 'a', 'a')).toBe(two);
    expect(connect(two, 'a', 'ghost')).toBe(two);
    expect(connectionKinds({ type: 'condition' })).toEqual(['then', 'else', 'after']);
    expect(connectionKinds({ type: 'parallel' })[0]).toBe('branch');
    expect(connectionKinds({ type: 'task' })).toEqual(['after']);
  });

  it('changes, renames and removes steps with their references', () => {
    expect(updateStep(two, 'a', { task_type: 'sales.score_lead', agent: undefined }).steps[0]).toEqual({ id: 'a', type: 'task', task_type: 'sales.score_lead' });
    const def = {
      steps: [
        { id: 'a', type: 'task', task_type: 'echo' },
        { id: 'c', type: 'condition', depends_on: ['a'], expression: 'steps.a.output.v > 1 && steps.ab.output', then: ['b'], else: [] },
        { id: 'b', type: 'notify', depends_on: ['c'], topic: 'workflows.x', payload: { v: '{{steps.a.output.v}}' }, on_failure: 'a' },
      ],
      output: { v: '{{steps.a.output.v}}' },
    };
    const renamed = renameStep(def, 'a', 'receive');
    expect(renamed.steps[0].id).toBe('receive');
    expect(renamed.steps[1].depends_on).toEqual(['receive']);
    expect(renamed.steps[1].expression).toBe('steps.receive.output.v > 1 && steps.ab.output');
    expect(renamed.steps[2].payload.v).toBe('{{steps.receive.output.v}}');
    expect(renamed.steps[2].on_failure).toBe('receive');
    expect(renamed.output.v).toBe('{{steps.receive.output.v}}');
    expect(renameStep(def, 'a', 'b')).toBe(def);
    expect(stepIdProblem(def, 'a', 'b')).toMatch(/already/);
    expect(stepIdProblem(def, 'a', 'has space')).toMatch(/letters/);
    expect(stepIdProblem(def, 'a', '')).toMatch(/id/);
    expect(stepIdProblem(def, 'a', 'a')).toBeNull();
    const removed = removeStep(def, 'b');
    expect(removed.steps.map((s) => s.id)).toEqual(['a', 'c']);
    expect(removed.steps[1].then).toEqual([]);
    expect(removeStep(def, 'a').steps[0].depends_on).toEqual([]);
    expect(removeStep(def, 'a').steps[1].on_failure).toBeUndefined();
  });

  it('reads the JSON editor and switches triggers', () => {
    expect(parseDefinition('{"steps": []}')).toEqual({ value: { steps: [] } });
    expect(parseDefinition('{"steps": ').error).toMatch(/^Not valid JSON/);
    expect(parseDefinition('[1]').error).toMatch(/object/);
    expect(parseDefinition('{"steps": {}}').error).toMatch(/list/);
    expect(blankDefinition().steps[0].id).toBe('start');
    expect(setTrigger(blankDefinition(), 'schedule').trigger).toEqual({ type: 'schedule', cron: '0 9 * * 1-5', timezone: 'UTC' });
  });

  it('sorts a 422 by step, using the index in the definition that was sent', () => {
    const sent = { steps: [{ id: 'a', type: 'task' }, { id: 'c', type: 'condition' }] };
    const errors = [
      { field: 'definition.steps[1].expression', message: 'unexpected end at character 4' },
      { field: 'definition.steps[1].expression', message: 'second message' },
      { field: 'definition.steps[0].input.v', message: 'bad template' },
      { field: 'definition.steps[0]', message: 'must be an object' },
      { field: 'definition.steps[9].id', message: 'out of range' },
      { field: 'definition.trigger.cron', message: 'bad cron' },
      { field: 'name', message: 'is required' },
    ];
    expect(errorsByStep(sent, errors)).toEqual({
      steps: {
        c: { expression: 'unexpected end at character 4 second message' },
        a: { input: 'input.v: bad template', step: 'must be an object' },
      },
      workflow: { 'definition.steps[9].id': 'out of range', 'definition.trigger.cron': 'bad cron', name: 'is required' },
    });
    // The {field: message} map of problemOf works too.
    expect(errorsByStep(sent, { 'definition.steps[0].task_type': 'is required' }).steps).toEqual({ a: { task_type: 'is required' } });
    expect(errorsByStep(null, undefined)).toEqual({ steps: {}, workflow: {} });
  });

  it('puts the messages on the graph nodes', () => {
    const { nodes } = toGraph(exampleDefinition, {}, null, { c: { expression: 'unexpected end' } });
    const c = nodes.find((n) => n.id === 'c');
    expect(c.data.errors).toEqual([{ field: 'expression', message: 'unexpected end' }]);
    expect(c.ariaLabel).toBe('Step c, condition, 1 problem');
    expect(c.domAttributes).toEqual({ 'aria-describedby': 'node-errors-c' });
    expect(nodes.find((n) => n.id === 'a').data.errors).toEqual([]);
  });
});

describe('the workflow editor', () => {
  const triage = {
    id: 'w1',
    name: 'Lead triage',
    description: 'Routes leads',
    status: 'draft',
    definition: {
      trigger: { type: 'manual' },
      steps: [
        { id: 'receive', type: 'task', task_type: 'echo', input: {} },
        { id: 'check', type: 'condition', depends_on: ['receive'], expression: 'true', then: [], else: [] },
      ],
    },
  };
  const renderAs = (user, routes = {}) => {
    setSession(signedIn(user));
    const calls = mockApi({
      'GET /workflows': () => [200, { items: [triage], next_cursor: null }],
      'GET /workflow-executions': () => [200, { items: [], next_cursor: null }],
      ...routes,
    });
    const view = render(<Provider store={makeStore()}><MemoryRouter><WorkflowVisualizer /></MemoryRouter></Provider>);
    return { calls, ...view };
  };
  const change = (element, value) => fireEvent.change(element, { target: { value } });

  it('offers no editing to viewers and operators', async () => {
    renderAs(viewer);
    expect(await screen.findByRole('option', { name: 'Lead triage (draft)' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /New workflow/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
  });

  it('shows a webhook URL only as the API gives it, and lets a manager rotate it', async () => {
    const hooked = { ...triage, status: 'active', definition: { ...triage.definition, trigger: { type: 'webhook' } } };
    renderAs(viewer, { 'GET /workflows': () => [200, { items: [hooked], next_cursor: null }] });
    expect(await screen.findByText('The URL is shown to those who manage workflows.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Rotate URL' })).toBeNull();
    cleanup();

    const { calls } = renderAs(admin, {
      'GET /workflows': () => [200, { items: [{ ...hooked, webhook_url: '/api/v1/hooks/old-token' }], next_cursor: null }],
      'POST /workflows/w1/rotate-webhook': () => [200, { ...hooked, webhook_url: '/api/v1/hooks/new-token' }],
    });
    expect(await screen.findByText('POST /api/v1/hooks/old-token')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Rotate URL' }));
    expect(screen.getByText('The old URL stops working.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Rotate' }));
    expect(await screen.findByText('POST /api/v1/hooks/new-token')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST' && c.url === '/workflows/w1/rotate-webhook')).toHaveLength(1);
  });

  it('lets an operator run but not edit', async () => {
    renderAs(operator, { 'GET /workflows': () => [200, { items: [{ ...triage, status: 'active' }], next_cursor: null }] });
    expect(await screen.findByRole('button', { name: /Run/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /New workflow/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
  });

  it('shows a 422 in place: on the step node and next to the field, with aria-invalid and aria-describedby', async () => {
    const { calls, container } = renderAs(admin, {
      'PATCH /workflows/w1': () =>
        problem(422, 'Validation failed', '2 fields are invalid', {
          errors: [
            { field: 'definition.steps[1].expression', message: 'expression "1 +": unexpected end at character 4' },
            { field: 'definition.output', message: 'no step has the id "ghost"' },
          ],
        }),
    });
    fireEvent.click(await screen.findByRole('button', { name: /Edit/ }));
    expect(screen.getByRole('form', { name: 'Edit workflow' })).toBeTruthy();
    expect(screen.getByLabelText('Name').value).toBe('Lead triage');
    fireEvent.click(screen.getByRole('button', { name: /^check/ }));
    const expression = screen.getByLabelText('Expression');
    change(expression, '1 +');
    expect(screen.getByLabelText('JSON (docs/workflows.md)').value).toContain('"expression": "1 +"');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByText(/2 problems were found/)).toBeTruthy();
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch.body).toMatchObject({ name: 'Lead triage', status: 'draft', description: 'Routes leads' });
    expect(patch.body.definition.steps[1].expression).toBe('1 +');
    // Next to the field.
    expect(expression.getAttribute('aria-invalid')).toBe('true');
    const message = document.getElementById(expression.getAttribute('aria-describedby'));
    expect(message.textContent).toBe('expression "1 +": unexpected end at character 4');
    expect(message.classList.contains('field-error')).toBe(true);
    // On the node of the step: React Flow renders node data changes through its own store, a tick later.
    const checkNode = () => container.querySelector('.react-flow__node[data-id="check"]');
    await waitFor(() => expect(checkNode().getAttribute('aria-label')).toBe('Step check, condition, 1 problem'));
    const node = checkNode();
    expect(within(node).getByText(/unexpected end at character 4/).closest('.field-error')).toBeTruthy();
    expect(node.getAttribute('aria-describedby')).toBe('node-errors-check');
    expect(container.querySelector('.react-flow__node[data-id="receive"] .field-error')).toBeNull();
    // A definition-wide message next to the JSON.
    const json = screen.getByLabelText('JSON (docs/workflows.md)');
    expect(json.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(json.getAttribute('aria-describedby')).textContent).toContain('no step has the id "ghost"');
    // Changing the expression takes its old message away.
    change(expression, 'input.v > 1');
    expect(expression.getAttribute('aria-invalid')).toBe('false');
    await waitFor(() => expect(checkNode().querySelector('.field-error')).toBeNull());
  });

  it('creates a workflow from steps added and connected in the form', async () => {
    let posted = null;
    const saved = [triage];
    renderAs(admin, {
      'GET /workflows': () => [200, { items: saved, next_cursor: null }],
      'POST /workflows': (call) => {
        posted = call.body;
        saved.unshift({ id: 'w2', ...call.body });
        return [201, saved[0]];
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: /New workflow/ }));
    change(screen.getByLabelText('Name'), 'Approval flow');
    change(screen.getByLabelText('Add a step'), 'approval');
    expect(screen.getByRole('heading', { name: 'Step approval1' })).toBeTruthy();
    // A new step runs after the selected one (here the first step): connected at once.
    expect(within(screen.getByRole('group', { name: 'Runs after' })).getByRole('checkbox', { name: 'start' }).checked).toBe(true);
    change(screen.getByLabelText('Add a step'), 'delay');
    change(screen.getByLabelText('Seconds'), '30');
    expect(within(screen.getByRole('group', { name: 'Runs after' })).getByRole('checkbox', { name: 'approval1' }).checked).toBe(true);
    change(screen.getByLabelText('Status'), 'active');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/“Approval flow” was saved/)).toBeTruthy();
    expect(posted.name).toBe('Approval flow');
    expect(posted.status).toBe('active');
    expect(posted.definition.steps).toEqual([
      { id: 'start', type: 'task', task_type: 'echo', input: { message: '{{input.message}}' } },
      { id: 'approval1', type: 'approval', role: 'manager', depends_on: ['start'] },
      { id: 'delay1', type: 'delay', seconds: 30, depends_on: ['approval1'] },
    ]);
    await waitFor(() => expect(screen.getByLabelText('Workflow').value).toBe('w2'));
  });

  it('edits a task step input as key/value fields, kept in the JSON', async () => {
    renderAs(admin);
    fireEvent.click(await screen.findByRole('button', { name: /New workflow/ }));
    expect(screen.getByLabelText('Name of input field 1').value).toBe('message');
    change(screen.getByLabelText('Value of input field 1'), '{{input.text}}');
    fireEvent.click(screen.getByRole('button', { name: 'Add a field' }));
    change(screen.getByLabelText('Name of input field 2'), 'count');
    change(screen.getByLabelText('Value of input field 2'), '42');
    const json = JSON.parse(screen.getByLabelText(/^JSON/).value);
    expect(json.steps[0].input).toEqual({ message: '{{input.text}}', count: 42 });
  });

  it('says at once when a step id is not valid, and the graph keeps the old id', async () => {
    renderAs(admin);
    fireEvent.click(await screen.findByRole('button', { name: /New workflow/ }));
    change(screen.getByLabelText('Step id'), 'has space!');
    expect(screen.getByText(/Use letters, digits, '_' and '-' only.*keeps the id “start”/)).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Step start' })).toBeTruthy();
  });

  it('sets a schedule in a named time zone, and an empty zone means UTC', async () => {
    let posted = null;
    renderAs(admin, { 'POST /workflows': (call) => ((posted = call.body), [201, { id: 'w3', ...call.body }]) });
    fireEvent.click(await screen.findByRole('button', { name: /New workflow/ }));
    change(screen.getByLabelText('Name'), 'Morning report');
    change(screen.getByLabelText('Trigger'), 'schedule');
    const zone = screen.getByLabelText(/Time zone/);
    change(zone, '');
    expect(JSON.parse(screen.getByLabelText('JSON (docs/workflows.md)').value).trigger).toEqual({ type: 'schedule', cron: '0 9 * * 1-5' });
    change(zone, 'Europe/Berlin');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(posted).not.toBeNull());
    expect(posted.definition.trigger).toEqual({ type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' });
  });

  it('keeps Save off while the JSON does not parse, and asks for a name', async () => {
    const { calls } = renderAs(admin);
    fireEvent.click(await screen.findByRole('button', { name: /New workflow/ }));
    const json = screen.getByLabelText('JSON (docs/workflows.md)');
    change(json, '{"steps": [');
    expect(screen.getByRole('button', { name: 'Save' }).disabled).toBe(true);
    expect(json.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Not valid JSON/)).toBeTruthy();
    change(json, JSON.stringify(blankDefinition()));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const name = screen.getByLabelText('Name');
    expect(await screen.findByText('Give the workflow a name.')).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });
});

describe('a finished execution, step by step', () => {
  const workflow = {
    id: 'w1',
    name: 'Triage',
    status: 'active',
    definition: {
      trigger: { type: 'manual' },
      steps: [
        { id: 'receive', type: 'task', task_type: 'echo', input: { v: '{{input.v}}' } },
        { id: 'ok', type: 'approval', role: 'manager', depends_on: ['receive'] },
      ],
    },
  };
  const run = (over = {}) => ({
    id: 'e1',
    workflow_id: 'w1',
    status: 'waiting',
    input: { v: 42 },
    output: null,
    created_at: '2026-12-03T10:00:00.000Z',
    steps: [
      { id: 'receive', type: 'task', status: 'completed', attempts: 2, input: { v: 42 }, output: { echoed: 42 }, error: null, task_id: 't-123456789', started_at: '2026-12-03T10:00:00.000Z', completed_at: '2026-12-03T10:00:01.500Z' },
      { id: 'ok', type: 'approval', status: 'waiting', attempts: 1, input: { role: 'manager', message: 'Ship it?' }, output: null, error: null, started_at: '2026-12-03T10:00:01.600Z', completed_at: null },
    ],
    ...over,
  });
  const renderAs = (user, routes = {}) => {
    setSession(signedIn(user));
    const calls = mockApi({
      'GET /workflows': () => [200, { items: [workflow], next_cursor: null }],
      'GET /workflow-executions': () => [200, { items: [run()], next_cursor: null }],
      'GET /workflow-executions/e1': () => [200, run()],
      ...routes,
    });
    render(<Provider store={makeStore()}><MemoryRouter><WorkflowVisualizer /></MemoryRouter></Provider>);
    return calls;
  };
  const openStep = async (id) => {
    fireEvent.click(await screen.findByRole('button', { name: /^e1/ }));
    await screen.findByLabelText('Execution input');
    fireEvent.click(screen.getByRole('button', { name: new RegExp(`^${id} `) }));
  };

  it('shows what a step did: input, output, attempts, run time and its task; and the execution input', async () => {
    renderAs(viewer);
    await openStep('receive');
    const did = await screen.findByLabelText('What step receive did');
    expect(within(did).getByLabelText('Output of step receive').textContent).toContain('"echoed": 42');
    expect(within(did).getByLabelText('Input of step receive').textContent).toContain('"v": 42');
    expect(within(did).getByText('1.50 s')).toBeTruthy();
    expect(within(did).getByText('2')).toBeTruthy();
    expect(within(did).getByRole('link', { name: 't-123456' }).getAttribute('href')).toBe('/tasks/t-123456789');
    expect(screen.getByLabelText('Execution input').textContent).toContain('"v": 42');
  });

  it('tells a viewer who may decide, and lets a manager decide with a comment, then shows who, when and why', async () => {
    renderAs(viewer);
    await openStep('ok');
    expect((await screen.findAllByText('Waiting for a manager or an admin to decide.')).length).toBeGreaterThan(0);
    cleanup();

    const decided = run({
      status: 'completed',
      steps: [run().steps[0], { ...run().steps[1], status: 'completed', output: { approved: true, by: 'manager@example.com', comment: 'fine by me', decided_at: '2026-12-03T10:05:00.000Z' } }],
    });
    const calls = renderAs({ ...admin, roles: ['manager'] }, { 'POST /workflow-executions/e1/steps/ok/approve': () => [200, decided] });
    await openStep('ok');
    const did = await screen.findByLabelText('What step ok did');
    fireEvent.change(within(did).getByPlaceholderText('Comment (optional)'), { target: { value: ' fine by me ' } });
    fireEvent.click(within(did).getByRole('button', { name: 'Approve' }));
    expect(await within(screen.getByLabelText('What step ok did')).findByText('Approved')).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ approved: true, comment: 'fine by me' });
    expect(screen.getByText(/by manager@example.com on/)).toBeTruthy();
    expect(screen.getByText('fine by me')).toBeTruthy();
  });
});
