import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectLive } from './live.js';
import { socketFactory } from '../test/fakeSocket.js';

const flush = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.useRealTimers());

describe('connectLive', () => {
  it('subscribes, delivers events, and resumes with since = the last event after a drop', async () => {
    vi.useFakeTimers();
    const { sockets, FakeSocket } = socketFactory();
    const events = [];
    const statuses = [];
    let tokens = 0;
    const live = connectLive({
      token: async () => `tok${++tokens}`,
      topics: ['tasks.*', 'agents.*'],
      onEvent: (e) => events.push(e.id),
      onStatus: (s) => statuses.push(s),
      WebSocketImpl: FakeSocket,
      baseUrl: 'ws://server',
      random: () => 1,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets[0].url).toBe('ws://server/ws/notifications?access_token=tok1');
    sockets[0].open();
    expect(sockets[0].sent[0]).toEqual({ type: 'subscribe', topics: ['tasks.*', 'agents.*'] });
    sockets[0].message({ type: 'subscribed', topics: ['tasks.*'], last_event_id: 10 });
    sockets[0].message({ type: 'event', id: 11, topic: 'tasks.created', data: {} });
    sockets[0].message({ type: 'event', id: 12, topic: 'tasks.completed', data: {} });
    sockets[0].drop();
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting']);

    await vi.advanceTimersByTimeAsync(499);
    expect(sockets).toHaveLength(1); // backoff: 0.5 s first
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets[1].url).toContain('access_token=tok2'); // a token asked for again
    sockets[1].open();
    expect(sockets[1].sent[0]).toEqual({ type: 'subscribe', topics: ['tasks.*', 'agents.*'], since: 12 });
    sockets[1].message({ type: 'subscribed', last_event_id: 14 });
    sockets[1].message({ type: 'event', id: 12, topic: 'tasks.completed', data: {} }); // replay overlap
    sockets[1].message({ type: 'event', id: 13, topic: 'tasks.failed', data: {} });
    expect(events).toEqual([11, 12, 13]);
    expect(statuses.at(-1)).toBe('live');
    expect(live.lastEventId()).toBe(13);
    live.stop();
  });

  it('resubscribes from the newest event and asks for a reload when the server deleted the events to resume from', async () => {
    vi.useFakeTimers();
    const { sockets, FakeSocket } = socketFactory();
    const resyncs = [];
    const live = connectLive({ token: async () => 't', topics: ['tasks.*'], since: 5, onEvent: () => {}, onStatus: () => {}, onResync: () => resyncs.push(1), WebSocketImpl: FakeSocket, baseUrl: 'ws://x', random: () => 1 });
    await vi.advanceTimersByTimeAsync(0);
    sockets[0].open();
    expect(sockets[0].sent[0].since).toBe(5);
    sockets[0].message({ type: 'error', code: 'resync_required', oldest_since: 90, last_event_id: 120, message: 'x' });
    expect(resyncs).toHaveLength(1);
    expect(sockets[0].sent[1]).toEqual({ type: 'subscribe', topics: ['tasks.*'], since: 120 });
    expect(live.lastEventId()).toBe(120);
    live.stop();
  });

  it('resumes from the subscription point when no event came yet', async () => {
    vi.useFakeTimers();
    const { sockets, FakeSocket } = socketFactory();
    const live = connectLive({ token: async () => 't', topics: ['tasks.*'], onEvent: () => {}, onStatus: () => {}, WebSocketImpl: FakeSocket, baseUrl: 'ws://x', random: () => 1 });
    await vi.advanceTimersByTimeAsync(0);
    sockets[0].open();
    sockets[0].message({ type: 'subscribed', last_event_id: 40 });
    sockets[0].drop();
    await vi.advanceTimersByTimeAsync(500);
    sockets[1].open();
    expect(sockets[1].sent[0].since).toBe(40);
    live.stop();
  });

  it('backs off exponentially while the server is unreachable, up to 30 s', async () => {
    vi.useFakeTimers();
    const { sockets, FakeSocket } = socketFactory();
    const statuses = [];
    const live = connectLive({ token: async () => 't', topics: ['tasks.*'], onEvent: () => {}, onStatus: (s) => statuses.push(s), WebSocketImpl: FakeSocket, baseUrl: 'ws://x', random: () => 1 });
    await vi.advanceTimersByTimeAsync(0);
    const opened = [];
    for (const delay of [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]) {
      sockets.at(-1).drop();
      const count = sockets.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(sockets.length).toBe(count);
      await vi.advanceTimersByTimeAsync(1);
      opened.push(sockets.length - count);
    }
    expect(opened).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(statuses.filter((s) => s === 'connecting')).toHaveLength(1);
    live.stop();
    sockets.at(-1).drop();
    await vi.advanceTimersByTimeAsync(60000);
    expect(sockets.at(-1).closed).toBe(true);
  });

  it('counts as live once events flow, even without a subscription answer', async () => {
    const { sockets, FakeSocket } = socketFactory();
    const statuses = [];
    const live = connectLive({ token: async () => 't', topics: ['tasks.*'], onEvent: () => {}, onStatus: (s) => statuses.push(s), WebSocketImpl: FakeSocket, baseUrl: 'ws://x' });
    await flush();
    sockets[0].open();
    sockets[0].message({ type: 'event', id: 1, topic: 'tasks.created', data: {} });
    sockets[0].message({ type: 'event', id: 2, topic: 'tasks.created', data: {} });
    expect(statuses).toEqual(['connecting', 'live']);
    live.stop();
  });

  it('stops cleanly: no reconnect after stop()', async () => {
    const { sockets, FakeSocket } = socketFactory();
    const live = connectLive({ token: async () => 't', topics: ['tasks.*'], onEvent: () => {}, onStatus: () => {}, WebSocketImpl: FakeSocket, baseUrl: 'ws://x' });
    await flush();
    live.stop();
    expect(sockets[0].closed).toBe(true);
    expect(sockets[0].onclose).toBeNull();
  });
});
