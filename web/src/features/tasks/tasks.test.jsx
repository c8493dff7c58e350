import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import reducer, { createTask, fetchTask, fetchTasks, pageSize, refreshWatched, taskAction, taskQuery } from './tasksSlice.js';
import TasksPage from './TasksPage.jsx';
import TaskDetail from './TaskDetail.jsx';
import { parseInput } from './TaskForm.jsx';
import { eventReceived } from '../live/liveSlice.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, problem, signedIn, viewer } from '../../test/mockApi.js';

const task = (id, extra = {}) => ({ id, title: `Task ${id}`, type: 'echo', status: 'completed', priority: 'normal', assigned_agent: 'a-echo', input_data: {}, output_data: {}, attempts: 1, max_attempts: 3, created_at: '2026-11-24T09:00:00.000Z', ...extra });
const event = (id, topic, data) => eventReceived({ type: 'event', id, topic, data, ts: new Date().toISOString() });

describe('tasks slice', () => {
  it('asks for a page with the filters and the cursor, and keeps next_cursor', async () => {
    const calls = mockApi({ 'GET /tasks': () => [200, { items: [task('t1')], next_cursor: 'n2' }] });
    const store = makeStore();
    await store.dispatch(fetchTasks({ filters: { status: 'failed', type: '', agent: 'a-echo' }, cursor: 'c1' }));
    expect(calls[0].params).toEqual({ limit: pageSize, status: 'failed', agent: 'a-echo', cursor: 'c1' });
    expect(store.getState().tasks).toMatchObject({ status: 'ready', nextCursor: 'n2', query: { filters: { status: 'failed', agent: 'a-echo' }, cursor: 'c1' } });
  });

  it('shows the problem when the list fails', async () => {
    mockApi({ 'GET /tasks': () => problem(400, 'Bad Request', 'the cursor is not valid') });
    const store = makeStore();
    await store.dispatch(fetchTasks({ cursor: 'junk' }));
    expect(store.getState().tasks).toMatchObject({ status: 'error', error: 'the cursor is not valid' });
  });

  it('puts new matching tasks on top of the first page only', () => {
    let state = reducer(undefined, fetchTasks.fulfilled({ items: [task('t1')], nextCursor: null }, 'r', { filters: { status: 'queued' } }));
    state = { ...state, query: { filters: { status: 'queued' }, cursor: null } };
    state = reducer(state, event(1, 'tasks.created', task('t2', { status: 'queued' })));
    state = reducer(state, event(2, 'tasks.created', task('t3', { status: 'pending' })));
    expect(state.items.map((t) => t.id)).toEqual(['t2', 't1']);
    const later = { ...state, query: { filters: {}, cursor: 'c2' } };
    expect(reducer(later, event(3, 'tasks.created', task('t4'))).items).toHaveLength(2);
  });

  it('updates tasks on screen and opened ones from events, ignores the rest', () => {
    let state = reducer(undefined, fetchTask.fulfilled(task('t1', { status: 'queued' }), 'r', 't1'));
    state = reducer(state, event(1, 'tasks.completed', { ...task('t1'), output_data: { v: 1 } }));
    state = reducer(state, event(2, 'tasks.completed', task('other')));
    expect(state.byId.t1).toMatchObject({ status: 'completed', output_data: { v: 1 } });
    expect(state.byId.other).toBeUndefined();
  });

  it('cancels and retries through the API', async () => {
    const calls = mockApi({ 'POST /tasks/t1/cancel': () => [200, task('t1', { status: 'cancelled' })] });
    const store = makeStore();
    await store.dispatch(taskAction({ id: 't1', action: 'cancel' }));
    expect(calls[0].url).toBe('/tasks/t1/cancel');
    expect(store.getState().tasks.byId.t1.status).toBe('cancelled');
  });

  it('refetches only unfinished watched tasks when polling', async () => {
    const answers = [task('t1', { status: 'running' }), task('t1')];
    const calls = mockApi({ 'POST /tasks': () => [201, task('t1', { status: 'queued' })], 'GET /tasks/t1': () => [200, answers.shift()] });
    const store = makeStore();
    await store.dispatch(createTask({ type: 'echo' }));
    expect(store.getState().tasks.byId.t1.status).toBe('running');
    store.dispatch(fetchTask.fulfilled(task('t2'), 'r', 't2'));
    await store.dispatch(refreshWatched());
    expect(calls.map((c) => c.url)).toEqual(['/tasks', '/tasks/t1', '/tasks/t1']);
    expect(store.getState().tasks.byId.t1.status).toBe('completed');
  });

  it('catches up on events that came before the create answer, and never goes back in time', async () => {
    const at = (ms) => new Date(Date.parse('2026-11-24T09:00:00.000Z') + ms).toISOString();
    mockApi({ 'POST /tasks': () => [201, task('t1', { status: 'queued', updated_at: at(0) })], 'GET /tasks/t1': () => [200, task('t1', { updated_at: at(1) })] });
    const store = makeStore();
    await store.dispatch(createTask({ type: 'echo' }));
    expect(store.getState().tasks.byId.t1.status).toBe('completed');
    store.dispatch(event(1, 'tasks.running', task('t1', { status: 'running', updated_at: at(1) })));
    store.dispatch(fetchTask.fulfilled(task('t1', { status: 'queued', updated_at: at(0) }), 'r', 't1'));
    expect(store.getState().tasks.byId.t1.status).toBe('completed');
    store.dispatch(event(2, 'tasks.queued', task('t1', { status: 'queued', updated_at: at(5) })));
    expect(store.getState().tasks.byId.t1.status).toBe('queued');
  });

  it('validates the input editor', () => {
    expect(parseInput('')).toEqual({ value: {} });
    expect(parseInput('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseInput('{"a": ').error).toMatch(/^Not valid JSON/);
    expect(parseInput('"text"').error).toMatch(/JSON object/);
  });
});

describe('TasksPage and TaskDetail', () => {
  const renderAt = (user, path) => {
    setSession(signedIn(user));
    const store = makeStore({ agents: { items: [{ id: 'a-echo', name: 'Echo Agent', status: 'idle', capabilities: ['echo'] }], status: 'ready', error: null, pending: {}, actionError: null } });
    render(
      <Provider store={store}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/tasks" element={<TasksPage />} />
            <Route path="/tasks/:id" element={<TaskDetail />} />
          </Routes>
        </MemoryRouter>
      </Provider>,
    );
    return store;
  };

  it('lists tasks, filters from the URL, and pages with the cursor', async () => {
    const calls = mockApi({ 'GET /tasks': (c) => [200, c.params.cursor ? { items: [task('t9', { title: 'Older' })], next_cursor: null } : { items: [task('t1', { title: 'Newest' })], next_cursor: 'c2' }] });
    renderAt(admin, '/tasks?status=completed');
    await screen.findByRole('link', { name: 'Newest' });
    expect(calls[0].params).toMatchObject({ status: 'completed', limit: pageSize });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByRole('link', { name: 'Older' });
    expect(calls[1].params).toMatchObject({ status: 'completed', cursor: 'c2' });
    expect(screen.getByText('Page 2')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    await waitFor(() => expect(calls.at(-1).params).toMatchObject({ status: 'failed' }));
    expect(calls.at(-1).params.cursor).toBeUndefined();
  });

  it('filters by type as one types (by prefix, after a pause), with no hidden Apply button', async () => {
    const calls = mockApi({ 'GET /tasks': () => [200, { items: [task('t1', { title: 'Newest' })], next_cursor: null }] });
    renderAt(admin, '/tasks');
    await screen.findByRole('link', { name: 'Newest' });
    fireEvent.change(screen.getByLabelText('Type'), { target: { value: 'Sales' } });
    await waitFor(() => expect(calls.at(-1).params).toMatchObject({ type_prefix: 'sales' }), { timeout: 2000 });
    expect(calls.at(-1).params.type).toBeUndefined();
    expect(screen.queryByRole('button', { name: 'Apply filters' })).toBeNull();
  });

  it('keeps a new task on the first page when its type starts with the filter', () => {
    const filtered = { ...reducer(undefined, { type: 'init' }), status: 'ready', query: { filters: taskQuery({ type: 'sales' }), cursor: null } };
    const created = (type) => createTask.fulfilled(task(`t-${type}`, { type }), 'r', {});
    expect(reducer(filtered, created('sales.score_lead')).items.map((t) => t.type)).toEqual(['sales.score_lead']);
    expect(reducer(filtered, created('marketing.report')).items).toEqual([]);
  });

  it('shows an empty state, and no New task button for a viewer', async () => {
    mockApi({ 'GET /tasks': () => [200, { items: [], next_cursor: null }] });
    renderAt(viewer, '/tasks');
    expect(await screen.findByText('No tasks yet')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New task' })).toBeNull();
  });

  it('shows a task with input, output, attempts and error, and retries it', async () => {
    const failed = task('t1', { status: 'failed', error: 'the agent crashed', input_data: { q: 1 }, output_data: null, attempts: 3, started_at: '2026-11-24T09:00:01.000Z', completed_at: '2026-11-24T09:00:03.500Z' });
    const calls = mockApi({ 'GET /tasks/t1': () => [200, failed], 'POST /tasks/t1/retry': () => [200, { ...failed, status: 'queued', error: null }] });
    renderAt(admin, '/tasks/t1');
    await screen.findByRole('heading', { name: 'Task t1' });
    expect(screen.getByText('the agent crashed')).toBeTruthy();
    expect(screen.getByText('3 of 3')).toBeTruthy();
    expect(screen.getByText('2.50 s')).toBeTruthy();
    expect(screen.getByLabelText('Task input').textContent).toContain('"q": 1');
    fireEvent.click(screen.getByRole('button', { name: /Retry task/ }));
    await screen.findByRole('button', { name: /Cancel task/ });
    expect(calls.at(-1).url).toBe('/tasks/t1/retry');
  });

  it('says so when the task does not exist', async () => {
    mockApi({ 'GET /tasks/nope': () => problem(404, 'Not Found', 'task nope does not exist') });
    renderAt(admin, '/tasks/nope');
    expect(await screen.findByText('There is no task with this id.')).toBeTruthy();
  });
});
