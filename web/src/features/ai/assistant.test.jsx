import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import RunTrace from './RunTrace.jsx';
import ToolApprovalsSection from './ToolApprovalsSection.jsx';
import { mayDecide } from './toolApprovals.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { socketFactory } from '../../test/fakeSocket.js';
import { admin, mockApi, operator, problem, signedIn, viewer } from '../../test/mockApi.js';

const manager = { id: 'u-manager', email: 'manager@example.com', username: 'manager', roles: ['manager'] };
const taskId = '7d3f0a52-1c1e-4a43-9f0e-2b8c9d1e0a11';
const agentId = '5b2c1d40-8e6f-4a1b-9c3d-0e1f2a3b4c5d';
const approvalId = 'a1b2c3d4-0000-4000-8000-000000000001';

// Steps shaped as the assistant writes them (docs/ai.md, "Tool-using agents").
const modelAsking = {
  type: 'model', at: '2026-12-03T20:00:00.000Z', provider: 'offline', model: 'offline-1', content: '',
  tool_calls: [{ id: 'call-1', tool: 'echo', arguments: { refund: 120 } }],
  input_tokens: 40, output_tokens: 8, cost_usd: 0.0012, latency_ms: 3,
};
const approvalStep = { type: 'approval', at: '2026-12-03T20:00:00.010Z', call_id: 'call-1', tool: 'echo', approval_id: approvalId, role: 'manager' };
const toolStep = {
  type: 'tool', at: '2026-12-03T20:00:05.000Z', call_id: 'call-1', tool: 'echo', arguments: { refund: 120 },
  result: { task_id: 'b0000000-0000-4000-8000-000000000002', status: 'completed', output: { refund: 120 } },
  approval: { approval_id: approvalId, status: 'approved', by: 'admin@example.com', comment: 'ok for this customer' },
};
const modelAnswering = {
  type: 'model', at: '2026-12-03T20:00:05.100Z', provider: 'offline', model: 'offline-1', content: 'Result of `echo`:\n- refund: 120',
  tool_calls: [], input_tokens: 60, output_tokens: 10, cost_usd: 0.0008, latency_ms: 2,
};
const assistantTask = (over = {}) => ({
  id: taskId, type: 'assistant.run', status: 'running', assigned_agent: agentId,
  input_data: { prompt: 'Echo this: {"refund": 120}' }, output_data: null, ...over,
});
const waitingApproval = {
  id: approvalId, task_id: taskId, call_id: 'call-1', agent_id: agentId, tool: 'echo', arguments: { refund: 120 },
  role: 'manager', status: 'waiting', requested_at: '2026-12-03T20:00:00.010Z', decided_by: null, decided_at: null, comment: null,
};

const renderSigned = (user, element) => {
  setSession(signedIn(user));
  return render(
    <Provider store={makeStore()}>
      <MemoryRouter>{element}</MemoryRouter>
    </Provider>,
  );
};

let sockets;
beforeEach(() => {
  const fake = socketFactory();
  sockets = fake.sockets;
  globalThis.WebSocket = fake.FakeSocket;
});
afterEach(() => {
  delete globalThis.WebSocket;
});

// The page's socket once subscribed; `events` are then delivered as the server sends them.
async function subscribedSocket() {
  await waitFor(() => expect(sockets.length).toBe(1));
  const socket = sockets[0];
  act(() => {
    socket.open();
    socket.message({ type: 'subscribed', last_event_id: 100 });
  });
  return socket;
}
let nextEventId = 1;
const deliver = (socket, topic, data) => act(() => socket.message({ type: 'event', id: nextEventId++, topic, ts: '2026-12-03T20:00:00Z', data }));
const stepEvent = (index, step, task = taskId) => ({ agent_id: agentId, task_id: task, index, step });

describe('who may decide a tool approval', () => {
  it('needs the approval role or above; admins always may; viewers never', () => {
    expect(mayDecide(operator, 'manager')).toBe(false);
    expect(mayDecide(manager, 'manager')).toBe(true);
    expect(mayDecide(manager, 'operator')).toBe(true);
    expect(mayDecide(manager, 'admin')).toBe(false);
    expect(mayDecide(admin, 'admin')).toBe(true);
    expect(mayDecide(viewer, 'operator')).toBe(false);
  });
});

describe('run trace', () => {
  it('shows a finished run from its output: model, approval, tool and answer, with totals', () => {
    const output = { answer: 'Result of `echo`:\n- refund: 120', steps: [modelAsking, approvalStep, toolStep, modelAnswering], stopped: 'answered' };
    renderSigned(admin, <RunTrace task={assistantTask({ status: 'completed', output_data: output })} open={false} />);
    expect(sockets).toHaveLength(0);
    const steps = within(screen.getByRole('list', { name: 'Steps of the run' })).getAllByRole('listitem');
    expect(steps).toHaveLength(5);
    expect(steps[0].textContent).toContain('offline · offline-1');
    expect(steps[0].textContent).toContain('40 tokens in · 8 out');
    expect(within(steps[0]).getByLabelText('Arguments of echo').textContent).toContain('"refund": 120');
    expect(steps[1].textContent).toContain('Needs manager or above');
    expect(within(steps[1]).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(steps[2].textContent).toContain('completed');
    expect(steps[2].textContent).toContain('Approved by admin@example.com: “ok for this customer”');
    expect(within(steps[2]).getByLabelText('Output of echo').textContent).toContain('120');
    expect(steps[4].textContent).toContain('answered');
    expect(steps[4].textContent).toContain('- refund: 120');
    expect(screen.getByText(/2 model calls · 100 tokens in · 18 out · \$0\.0020/)).toBeTruthy();
  });

  it('follows a running task live from replayed agents.steps events, once per index, and approves from the trace', async () => {
    const calls = mockApi({ [`POST /tool-approvals/${approvalId}/approve`]: () => [200, { ...waitingApproval, status: 'approved', decided_by: 'admin@example.com' }] });
    renderSigned(admin, <RunTrace task={assistantTask()} open />);
    const socket = await subscribedSocket();
    expect(socket.sent[0]).toEqual({ type: 'subscribe', topics: ['agents.steps'], since: 0 });
    expect(screen.getByText('Waiting for the first step…')).toBeTruthy();

    deliver(socket, 'agents.steps', stepEvent(0, modelAsking));
    deliver(socket, 'agents.steps', stepEvent(0, modelAsking)); // a repeat
    deliver(socket, 'agents.steps', stepEvent(0, modelAnswering, 'another-task'));
    deliver(socket, 'agents.steps', stepEvent(1, approvalStep));
    const list = screen.getByRole('list', { name: 'Steps of the run' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(list).getByText('waiting')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Comment on the decision about echo'), { target: { value: 'ok for this customer' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await screen.findByText('You approved it; the run goes on.');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: `/tool-approvals/${approvalId}/approve`, body: { approved: true, comment: 'ok for this customer' } });

    deliver(socket, 'agents.steps', stepEvent(2, toolStep));
    deliver(socket, 'agents.steps', stepEvent(3, modelAnswering));
    expect(within(list).getAllByRole('listitem')).toHaveLength(4);
    expect(within(list).queryByText('waiting')).toBeNull();
    expect(screen.getByText(/2 model calls · 100 tokens in · 18 out/)).toBeTruthy();
  });

  it('tells a user below the approval role who may decide', async () => {
    renderSigned(operator, <RunTrace task={assistantTask()} open />);
    const socket = await subscribedSocket();
    deliver(socket, 'agents.steps', stepEvent(0, approvalStep));
    expect(screen.getByText('Waiting for a manager or an admin to decide.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});

describe('waiting tool approvals', () => {
  it('lists the waiting approvals and follows requests and decisions live', async () => {
    const calls = mockApi({ 'GET /tool-approvals': () => [200, { items: [waitingApproval], next_cursor: null }] });
    renderSigned(manager, <ToolApprovalsSection />);
    const item = await screen.findByRole('listitem', { name: /echo for agent 5b2c1d40/ });
    expect(calls[0].params).toMatchObject({ status: 'waiting' });
    expect(within(item).getByText('manager or above')).toBeTruthy();
    expect(within(item).getByLabelText('Arguments of echo').textContent).toContain('"refund": 120');
    expect(within(item).getByRole('link', { name: 'Task 7d3f0a52' }).getAttribute('href')).toBe(`/tasks/${taskId}`);

    const socket = await subscribedSocket();
    expect(socket.sent[0].topics).toEqual(['agents.tool_approval_requested', 'agents.tool_approval_decided']);
    const another = { ...waitingApproval, id: 'a1b2c3d4-0000-4000-8000-000000000002', tool: 'sales.score_lead', role: 'admin' };
    deliver(socket, 'agents.tool_approval_requested', another);
    const second = screen.getByRole('listitem', { name: /sales.score_lead for/ });
    expect(within(second).getByText('Waiting for an admin to decide.')).toBeTruthy();
    deliver(socket, 'agents.tool_approval_decided', { ...waitingApproval, status: 'rejected', decided_by: 'someone' });
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    deliver(socket, 'agents.tool_approval_decided', { ...another, status: 'approved' });
    await screen.findByText('No tool call is waiting for a decision.');
  });

  it('rejects with a comment, and says clearly when the call was already decided', async () => {
    const calls = mockApi({
      'GET /tool-approvals': () => [200, { items: [waitingApproval], next_cursor: null }],
      [`POST /tool-approvals/${approvalId}/approve`]: () => problem(409, 'Conflict', 'this tool call was already approved'),
    });
    renderSigned(admin, <ToolApprovalsSection />);
    await screen.findByRole('listitem', { name: /echo for/ });
    fireEvent.change(screen.getByLabelText('Comment on the decision about echo'), { target: { value: 'not this one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Already decided, or the run has ended: this tool call was already approved');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', body: { approved: false, comment: 'not this one' } });
    expect(screen.getByRole('listitem', { name: /echo for/ })).toBeTruthy();
  });
});
