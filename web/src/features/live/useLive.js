import { useEffect, useRef } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { freshAccessToken } from '../../services/api.js';
import { connectLive } from '../../services/live.js';
import { eventReceived, loadTaskHistory, polled, statusChanged } from './liveSlice.js';
import { fetchAgents } from '../agents/agentsSlice.js';
import { fetchSummary } from '../dashboard/dashboardSlice.js';
import { refreshWatched } from '../tasks/tasksSlice.js';

export const topics = ['tasks.*', 'agents.*', 'workflows.*'];
export const pollInterval = 5000;

// Signed in: load the agents and the figures, and follow the event stream. Events update the
// store directly; the KPI summary is refetched at most once a second while they flow, the
// agents' counters a second after tasks finish. When the socket is down, poll every 5 s.
export function useLive(user) {
  const dispatch = useDispatch();
  const status = useSelector((s) => s.live.status);
  const userId = user?.id ?? null;
  const timers = useRef({});

  useEffect(() => {
    if (!userId) return undefined;
    const t = timers.current;
    const later = (key, wait, action) => {
      t[key] ??= setTimeout(() => {
        t[key] = null;
        dispatch(action());
      }, wait);
    };
    dispatch(fetchAgents());
    dispatch(fetchSummary());
    const history = dispatch(loadTaskHistory());
    const connection = connectLive({
      token: () => freshAccessToken(),
      topics,
      onEvent: (event) => {
        dispatch(eventReceived(event));
        if (event.topic.startsWith('tasks.') || event.topic.startsWith('agents.')) later('summary', 1000, fetchSummary);
        if (/^tasks\.(completed|failed|cancelled|queued|running)$/.test(event.topic)) later('agents', 500, fetchAgents);
      },
      onStatus: (s) => dispatch(statusChanged(s)),
      onResync: () => {
        dispatch(polled());
        dispatch(fetchSummary());
        dispatch(fetchAgents());
        dispatch(refreshWatched());
      },
    });
    return () => {
      connection.stop();
      history.abort();
      for (const key of Object.keys(t)) clearTimeout(t[key]);
      timers.current = {};
    };
  }, [userId, dispatch]);

  // Fallback: while the socket is not live, refetch what is on screen every 5 s.
  const polling = !!userId && status === 'reconnecting';
  useEffect(() => {
    if (!polling) return undefined;
    const tick = () => {
      dispatch(polled());
      dispatch(fetchSummary());
      dispatch(fetchAgents());
      dispatch(refreshWatched());
    };
    const timer = setInterval(tick, pollInterval);
    return () => clearInterval(timer);
  }, [polling, dispatch]);
}
