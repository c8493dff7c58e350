import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render } from '@testing-library/react';
import { Provider } from 'react-redux';
import reducer, { eventReceived, loadTaskHistory, perMinuteSeries, taskMetricNames, windowMinutes } from './liveSlice.js';
import { pollInterval, topics, useLive } from './useLive.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, signedIn } from '../../test/mockApi.js';
import { socketFactory } from '../../test/fakeSocket.js';

const now = Date.now();
const event = (id, topic, data, ts = new Date(now).toISOString()) => eventReceived({ type: 'event', id, topic, data, ts });

describe('live slice', () => {
  it('counts tasks per minute by status and keeps the latest events', () => {
    let state = reducer(undefined, { type: '@@init' });
    state = reducer(state, event(1, 'tasks.created', { id: 't', title: 'a' }));
    state = reducer(state, event(2, 'tasks.completed', { id: 't', title: 'a', status: 'completed' }));
    state = reducer(state, event(3, 'tasks.failed', { id: 'u', title: 'b', status: 'failed' }));
    state = reducer(state, event(4, 'tasks.running', { id: 'v', title: 'c' }));
    state = reducer(state, event(5, 'agents.updated', { id: 'x', name: 'Echo' }));
    expect(state.lastEventId).toBe(5);
    const series = perMinuteSeries(state.perMinute, now);
    expect(series).toHaveLength(windowMinutes);
    expect(series.at(-1)).toMatchObject({ created: 1, completed: 1, failed: 1, cancelled: 0 });
    expect(series.slice(0, -1).every((r) => r.created + r.completed + r.failed === 0)).toBe(true);
    expect(state.recent.map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    expect(state.recent[0]).toMatchObject({ topic: 'agents.updated', name: 'Echo', ref: 'x' });
  });

  it('ignores events older than the window', () => {
    const old = new Date(now - 2 * 3600 * 1000).toISOString();
    const state = reducer(undefined, event(1, 'tasks.completed', { id: 't' }, old));
    expect(Object.keys(state.perMinute)).toEqual([]);
  });

  it('follows workflow executions step by step', () => {
    let state = reducer(undefined, { type: '@@init' });
    state = reducer(state, event(1, 'workflows.execution_started', { execution_id: 'e1', workflow_id: 'w1', status: 'running' }));
    state = reducer(state, event(2, 'workflows.step_running', { execution_id: 'e1', workflow_id: 'w1', step_id: 'a', status: 'running' }));
    state = reducer(state, event(3, 'workflows.step_completed', { execution_id: 'e1', workflow_id: 'w1', step_id: 'a', status: 'completed' }));
    state = reducer(state, event(4, 'workflows.step_running', { execution_id: 'e1', step_id: 'c', status: 'running' }));
    expect(state.executions.e1).toMatchObject({ workflow_id: 'w1', status: 'running', steps: { a: 'completed', c: 'running' } });
    state = reducer(state, event(5, 'workflows.execution_completed', { execution_id: 'e1', workflow_id: 'w1', status: 'completed' }));
    expect(state.executions.e1.status).toBe('completed');
  });

  it('draws the history from the metrics endpoint when it has data', async () => {
    const minute = Math.floor(now / 60000) * 60000;
    const calls = mockApi({
      'GET /analytics/metrics': (c) => [200, { series: c.params.name === taskMetricNames.completed ? [{ t: new Date(minute).toISOString(), value: 7 }] : [] }],
    });
    const store = makeStore();
    await store.dispatch(loadTaskHistory());
    expect(calls.map((c) => c.params.name).sort()).toEqual(Object.values(taskMetricNames).sort());
    expect(calls[0].params).toMatchObject({ bucket: '1m', agg: 'count' });
    expect(store.getState().live.historySource).toBe('metrics');
    expect(perMinuteSeries(store.getState().live.perMinute, now).at(-1).completed).toBe(7);
  });

  it('counts the latest tasks when no metrics were recorded', async () => {
    const recent = new Date(now).toISOString();
    mockApi({
      'GET /analytics/metrics': () => [200, { series: [] }],
      'GET /tasks': () => [200, { items: [{ created_at: recent, completed_at: recent, status: 'failed' }, { created_at: recent, status: 'running' }], next_cursor: null }],
    });
    const store = makeStore();
    await store.dispatch(loadTaskHistory());
    expect(store.getState().live.historySource).toBe('tasks');
    expect(perMinuteSeries(store.getState().live.perMinute, now).at(-1)).toMatchObject({ created: 2, failed: 1, completed: 0 });
  });
});

// What the dashboard loads around the live socket, all empty.
const dashboardRoutes = {
  'GET /agents': () => [200, { items: [], next_cursor: null }],
  'GET /analytics/summary': () => [200, { tasks_by_status: {}, queue_depth: 0 }],
  'GET /analytics/metrics': () => [200, { series: [] }],
  'GET /tasks': () => [200, { items: [], next_cursor: null }],
};

describe('useLive', () => {
  afterEach(() => {
    vi.useRealTimers();
    delete globalThis.WebSocket;
  });

  function Harness({ user }) {
    useLive(user);
    return null;
  }

  it('subscribes to tasks, agents and workflows, and feeds events to the store', async () => {
    vi.useFakeTimers();
    const { sockets, FakeSocket } = socketFactory();
    globalThis.WebSocket = FakeSocket;
    setSession(signedIn(admin));
    mockApi(dashboardRoutes);
    const store = makeStore();
    render(<Provider store={store}><Harness user={admin} /></Provider>);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(sockets[0].url).toContain('/ws/notifications?access_token=access-1');
    act(() => sockets[0].onopen());
    expect(sockets[0].sent[0]).toEqual({ type: 'subscribe', topics });
    act(() => sockets[0].onmessage({ data: JSON.stringify({ type: 'subscribed', last_event_id: 3 }) }));
    expect(store.getState().live.status).toBe('live');
    act(() => sockets[0].onmessage({ data: JSON.stringify({ type: 'event', id: 4, topic: 'agents.created', data: { id: 'a', name: 'New', status: 'idle', capabilities: [] }, ts: new Date().toISOString() }) }));
    expect(store.getState().agents.items.map((a) => a.name)).toContain('New');
  });

  it('polls every 5 s while the socket cannot connect', async () => {
    vi.useFakeTimers();
    globalThis.WebSocket = class {
      constructor() {
        setTimeout(() => this.onclose?.(), 10); // refused every time
      }
      send() {}
      close() {}
    };
    setSession(signedIn(admin));
    const calls = mockApi(dashboardRoutes);
    const store = makeStore();
    render(<Provider store={store}><Harness user={admin} /></Provider>);
    await act(() => vi.advanceTimersByTimeAsync(100));
    expect(store.getState().live.status).toBe('reconnecting');
    const summaries = () => calls.filter((c) => c.url === '/analytics/summary').length;
    const before = summaries();
    await act(() => vi.advanceTimersByTimeAsync(pollInterval));
    expect(store.getState().live.pollTick).toBe(1);
    expect(summaries()).toBe(before + 1);
    await act(() => vi.advanceTimersByTimeAsync(pollInterval));
    expect(store.getState().live.pollTick).toBe(2);
  });
});
