import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api } from '../../services/api.js';

const minute = 60000;
export const windowMinutes = 30;
export const finishedKinds = ['completed', 'failed', 'cancelled'];
const kinds = ['created', ...finishedKinds];
const emptyBucket = () => ({ created: 0, completed: 0, failed: 0, cancelled: 0 });

// Metric names read from GET /analytics/metrics (bucket=1m, agg=count) to draw the last half
// hour at sign-in. When the server has recorded none, the latest tasks are counted instead.
export const taskMetricNames = { created: 'tasks.created', completed: 'tasks.completed', failed: 'tasks.failed', cancelled: 'tasks.cancelled' };

export const loadTaskHistory = createAsyncThunk('live/history', async (_, { signal }) => {
  const now = Date.now();
  const from = new Date(Math.floor(now / minute) * minute - (windowMinutes - 1) * minute).toISOString();
  const series = {};
  try {
    const answers = await Promise.all(
      kinds.map((kind) =>
        api.get('/analytics/metrics', { params: { name: taskMetricNames[kind], bucket: '1m', agg: 'count', from }, signal }).then((r) => [kind, r.data.series ?? []]),
      ),
    );
    for (const [kind, points] of answers) series[kind] = points;
  } catch {
    // No metrics endpoint or no access: fall through to counting tasks.
  }
  const hasMetrics = Object.values(series).some((points) => points.some((p) => p.value > 0));
  if (hasMetrics) return { source: 'metrics', series };
  const { data } = await api.get('/tasks', { params: { limit: 500 }, signal });
  return { source: 'tasks', tasks: data.items ?? [] };
});

const initialState = {
  status: 'connecting', // connecting | live | reconnecting
  lastEventId: null,
  perMinute: {}, // minute start (ms) -> { created, completed, failed, cancelled }
  historySource: null,
  recent: [], // the latest events, newest first
  pollTick: 0, // bumps every 5 s while the socket is down: pages refetch on it
  executions: {}, // execution id -> { workflow_id, status, steps: { step id -> status } } from workflows.* events
};

const liveSlice = createSlice({
  name: 'live',
  initialState,
  reducers: {
    statusChanged(state, action) {
      state.status = action.payload;
    },
    polled(state) {
      state.pollTick += 1;
    },
    eventReceived(state, action) {
      const event = action.payload;
      if (Number.isInteger(event.id)) state.lastEventId = Math.max(state.lastEventId ?? 0, event.id);
      const data = event.data ?? {};
      state.recent.unshift({
        id: event.id,
        topic: event.topic,
        ts: event.ts,
        name: data.title ?? data.name ?? data.step_id ?? '',
        status: data.status ?? null,
        ref: data.id ?? data.execution_id ?? null,
      });
      if (state.recent.length > 25) state.recent.length = 25;
      const [area, kind] = event.topic.split('.');
      if (area === 'tasks' && kinds.includes(kind)) count(state, Date.parse(event.ts) || Date.now(), kind);
      if (area === 'workflows' && data.execution_id) {
        const execution = (state.executions[data.execution_id] ??= { workflow_id: null, status: null, steps: {}, at: 0 });
        execution.at = event.id ?? 0;
        if (data.workflow_id) execution.workflow_id = data.workflow_id;
        if (data.step_id) execution.steps[data.step_id] = data.status;
        else if (kind.startsWith('execution_')) execution.status = data.status ?? kind.slice('execution_'.length);
        const ids = Object.keys(state.executions);
        if (ids.length > 50) {
          const oldest = ids.sort((a, b) => state.executions[a].at - state.executions[b].at)[0];
          delete state.executions[oldest];
        }
      }
    },
  },
  extraReducers: (builder) => {
    builder.addCase(loadTaskHistory.fulfilled, (state, action) => {
      const fresh = {};
      const target = { perMinute: fresh };
      if (action.payload.source === 'metrics') {
        for (const [kind, points] of Object.entries(action.payload.series))
          for (const p of points) count(target, Date.parse(p.t), kind, Number(p.value) || 0);
      } else {
        for (const task of action.payload.tasks) {
          count(target, Date.parse(task.created_at), 'created');
          if (finishedKinds.includes(task.status)) count(target, Date.parse(task.completed_at ?? task.created_at), task.status);
        }
      }
      // Events that arrived while loading are already counted in the live buckets: keep the larger.
      for (const [bucket, counts] of Object.entries(state.perMinute)) {
        const merged = (fresh[bucket] ??= emptyBucket());
        for (const kind of kinds) merged[kind] = Math.max(merged[kind], counts[kind]);
      }
      state.perMinute = fresh;
      state.historySource = action.payload.source;
    });
  },
});

function count(state, time, kind, n = 1) {
  const now = Date.now();
  if (!Number.isFinite(time) || time < now - windowMinutes * minute) return;
  const bucket = Math.floor(time / minute) * minute;
  const entry = (state.perMinute[bucket] ??= emptyBucket());
  entry[kind] += n;
  // Forget minutes that left the window.
  for (const key of Object.keys(state.perMinute)) if (Number(key) < now - windowMinutes * minute - minute) delete state.perMinute[key];
}

// The last `windowMinutes` minutes as chart rows, oldest first.
export function perMinuteSeries(perMinute, now = Date.now()) {
  const end = Math.floor(now / minute) * minute;
  const rows = [];
  for (let t = end - (windowMinutes - 1) * minute; t <= end; t += minute) {
    const d = new Date(t);
    rows.push({ t, label: `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`, ...emptyBucket(), ...(perMinute[t] ?? {}) });
  }
  return rows;
}

export const { statusChanged, polled, eventReceived } = liveSlice.actions;
export default liveSlice.reducer;
