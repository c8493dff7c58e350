import { createSlice } from '@reduxjs/toolkit';

const minute = 60000;
export const windowMinutes = 30;

// Per-minute task counts (created, completed, failed) for the last half hour, fed by events.
const liveSlice = createSlice({
  name: 'live',
  initialState: { status: 'connecting', lastEventId: null, perMinute: {}, recent: [] },
  reducers: {
    statusChanged(state, action) {
      state.status = action.payload;
    },
    eventReceived(state, action) {
      const event = action.payload;
      state.lastEventId = event.id;
      state.recent.unshift({ id: event.id, topic: event.topic, ts: event.ts, name: event.data?.title ?? event.data?.name ?? '' });
      state.recent.length = Math.min(state.recent.length, 20);
      const kind = event.topic.split('.')[1];
      if (event.topic.startsWith('tasks.') && ['created', 'completed', 'failed'].includes(kind)) {
        count(state, Date.parse(event.ts), kind);
      }
    },
    seeded(state, action) {
      state.perMinute = {};
      for (const task of action.payload) {
        count(state, Date.parse(task.created_at), 'created');
        if (task.status === 'completed' || task.status === 'failed') count(state, Date.parse(task.completed_at), task.status);
      }
    },
  },
});

function count(state, time, kind) {
  if (!Number.isFinite(time) || time < Date.now() - windowMinutes * minute) return;
  const bucket = Math.floor(time / minute) * minute;
  const entry = (state.perMinute[bucket] ??= { created: 0, completed: 0, failed: 0 });
  entry[kind] += 1;
}

// The last `windowMinutes` minutes as chart rows, oldest first.
export function perMinuteSeries(perMinute, now = Date.now()) {
  const end = Math.floor(now / minute) * minute;
  const rows = [];
  for (let t = end - (windowMinutes - 1) * minute; t <= end; t += minute) {
    const d = new Date(t);
    rows.push({ t, label: `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`, ...(perMinute[t] ?? { created: 0, completed: 0, failed: 0 }) });
  }
  return rows;
}

export const { statusChanged, eventReceived, seeded } = liveSlice.actions;
export default liveSlice.reducer;
