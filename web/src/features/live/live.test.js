import { describe, expect, it } from 'vitest';
import reducer, { eventReceived, perMinuteSeries, seeded, windowMinutes } from './liveSlice.js';
import agentsReducer from '../agents/agentsSlice.js';
import tasksReducer, { fetchTask } from '../tasks/tasksSlice.js';
import { connectLive } from '../../services/live.js';

const now = Date.now();
const event = (id, topic, data, ts = new Date(now).toISOString()) => eventReceived({ type: 'event', id, topic, data, ts });

describe('liveSlice', () => {
  it('counts tasks per minute from events and keeps the last event id', () => {
    let state = reducer(undefined, { type: '@@init' });
    state = reducer(state, event(1, 'tasks.created', { title: 'a' }));
    state = reducer(state, event(2, 'tasks.completed', { title: 'a' }));
    state = reducer(state, event(3, 'agents.updated', { name: 'Echo' }));
    expect(state.lastEventId).toBe(3);
    const series = perMinuteSeries(state.perMinute, now);
    expect(series).toHaveLength(windowMinutes);
    expect(series.at(-1)).toMatchObject({ created: 1, completed: 1, failed: 0 });
    expect(state.recent.map((e) => e.id)).toEqual([3, 2, 1]);
  });

  it('seeds the chart from a task list, ignoring what is older than the window', () => {
    const old = new Date(now - 2 * 3600 * 1000).toISOString();
    const recent = new Date(now).toISOString();
    const state = reducer(undefined, seeded([
      { created_at: recent, completed_at: recent, status: 'failed' },
      { created_at: old, completed_at: old, status: 'completed' },
    ]));
    expect(perMinuteSeries(state.perMinute, now).at(-1)).toMatchObject({ created: 1, completed: 0, failed: 1 });
  });
});

describe('agents and tasks follow events', () => {
  it('upserts and removes agents', () => {
    let state = agentsReducer(undefined, { type: '@@init' });
    state = agentsReducer(state, event(1, 'agents.created', { id: 'x', name: 'Echo', status: 'idle', capabilities: [] }));
    state = agentsReducer(state, event(2, 'agents.updated', { id: 'x', name: 'Echo', status: 'paused', capabilities: [] }));
    expect(state.items).toEqual([expect.objectContaining({ id: 'x', status: 'paused' })]);
    state = agentsReducer(state, event(3, 'agents.deleted', { id: 'x' }));
    expect(state.items).toEqual([]);
  });

  it('updates only the tasks someone is looking at', () => {
    let state = tasksReducer(undefined, { type: '@@init' });
    state = tasksReducer(state, { type: fetchTask.fulfilled.type, payload: { id: 't1', status: 'queued' } });
    state = tasksReducer(state, event(1, 'tasks.completed', { id: 't1', status: 'completed', output_data: { v: 1 } }));
    state = tasksReducer(state, event(2, 'tasks.completed', { id: 'other', status: 'completed' }));
    expect(state.byId.t1.status).toBe('completed');
    expect(state.byId.other).toBeUndefined();
  });
});

describe('connectLive', () => {
  it('subscribes, then resumes with since after a drop', async () => {
    const sockets = [];
    class FakeSocket {
      constructor(url) {
        this.url = url;
        this.sent = [];
        sockets.push(this);
        queueMicrotask(() => this.onopen());
      }
      send(text) {
        this.sent.push(JSON.parse(text));
      }
      close() {}
    }
    const events = [];
    const statuses = [];
    const stop = connectLive({ token: () => 'tok', topics: ['tasks.*'], onEvent: (e) => events.push(e.id), onStatus: (s) => statuses.push(s), WebSocketImpl: FakeSocket });
    await Promise.resolve();
    expect(sockets[0].url).toContain('/ws/notifications?access_token=tok');
    expect(sockets[0].sent[0]).toEqual({ type: 'subscribe', topics: ['tasks.*'] });
    sockets[0].onmessage({ data: JSON.stringify({ type: 'subscribed', last_event_id: 10 }) });
    sockets[0].onmessage({ data: JSON.stringify({ type: 'event', id: 11, topic: 'tasks.created', data: {} }) });
    sockets[0].onclose();
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting']);
    await new Promise((r) => setTimeout(r, 600));
    await Promise.resolve();
    expect(sockets[1].sent[0]).toEqual({ type: 'subscribe', topics: ['tasks.*'], since: 11 });
    expect(events).toEqual([11]);
    stop();
  });
});
