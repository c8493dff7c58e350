import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, problemOf } from '../../services/api.js';
import { eventReceived } from '../live/liveSlice.js';

export const pageSize = 25;
export const taskStatuses = ['pending', 'queued', 'running', 'completed', 'failed', 'cancelled'];
export const priorities = ['low', 'normal', 'high', 'critical'];
export const isOpen = (status) => status === 'pending' || status === 'queued' || status === 'running';

// The list's query: the Type filter matches by prefix (`sales` finds every `sales.*` type),
// as typed, in the lower case task types are written in.
export function taskQuery(filters = {}) {
  const query = {};
  if (filters.status) query.status = filters.status;
  if (filters.agent) query.agent = filters.agent;
  const type = (filters.type ?? '').trim().toLowerCase();
  if (type) query.type_prefix = type;
  return query;
}

// One page of the list. `cursor` null is the first page.
export const fetchTasks = createAsyncThunk('tasks/fetch', async ({ filters = {}, cursor = null } = {}, { rejectWithValue, signal }) => {
  try {
    const params = { limit: pageSize, ...taskQuery(filters) };
    if (cursor) params.cursor = cursor;
    const { data } = await api.get('/tasks', { params, signal });
    return { items: data.items ?? [], nextCursor: data.next_cursor ?? null };
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

export const fetchTask = createAsyncThunk('tasks/fetchOne', async (id, { rejectWithValue }) => {
  try {
    return (await api.get(`/tasks/${id}`)).data;
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

export const createTask = createAsyncThunk('tasks/create', async (task, { rejectWithValue }) => {
  try {
    const created = (await api.post('/tasks', task)).data;
    // Its events may have come before this answer, while the task was not yet watched: catch up.
    if (!isOpen(created.status)) return created;
    return (await api.get(`/tasks/${created.id}`)).data;
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

export const taskAction = createAsyncThunk('tasks/action', async ({ id, action }, { rejectWithValue }) => {
  try {
    return (await api.post(`/tasks/${id}/${action}`)).data;
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

// While live updates are down: refetch the tasks someone watches that have not finished.
export const refreshWatched = createAsyncThunk('tasks/refreshWatched', async (_, { dispatch, getState }) => {
  const open = Object.values(getState().tasks.byId).filter((t) => isOpen(t.status));
  await Promise.all(open.slice(0, 20).map((t) => dispatch(fetchTask(t.id))));
});

// Answers and events can arrive out of order: a state never replaces a later one.
const progress = (status) => (isOpen(status) ? ['pending', 'queued', 'running'].indexOf(status) : 3);
function isOlder(task, known) {
  if (!known?.updated_at || !task.updated_at) return false;
  const [t, k] = [Date.parse(task.updated_at), Date.parse(known.updated_at)];
  return t < k || (t === k && progress(task.status) < progress(known.status));
}

const matches = (task, filters) =>
  (!filters.status || task.status === filters.status) && (!filters.type_prefix || task.type.startsWith(filters.type_prefix)) && (!filters.agent || task.assigned_agent === filters.agent);

const tasksSlice = createSlice({
  name: 'tasks',
  initialState: { items: [], nextCursor: null, query: { filters: {}, cursor: null }, status: 'idle', error: null, byId: {} },
  reducers: {},
  extraReducers: (builder) => {
    const remember = (state, task) => {
      if (!task?.id || isOlder(task, state.byId[task.id])) return;
      state.byId[task.id] = { ...state.byId[task.id], ...task };
      const index = state.items.findIndex((t) => t.id === task.id);
      if (index >= 0) state.items[index] = { ...state.items[index], ...task };
    };
    builder
      .addCase(fetchTasks.pending, (state, action) => {
        state.status = 'loading';
        state.query = { filters: taskQuery(action.meta.arg?.filters), cursor: action.meta.arg?.cursor ?? null };
      })
      .addCase(fetchTasks.fulfilled, (state, action) => {
        state.status = 'ready';
        state.error = null;
        state.items = action.payload.items;
        state.nextCursor = action.payload.nextCursor;
      })
      .addCase(fetchTasks.rejected, (state, action) => {
        if (action.meta.aborted) return;
        state.status = 'error';
        state.error = action.payload?.message ?? 'Could not load the tasks.';
      })
      .addCase(fetchTask.fulfilled, (state, action) => remember(state, action.payload))
      .addCase(createTask.fulfilled, (state, action) => {
        remember(state, action.payload);
        addToFirstPage(state, action.payload);
      })
      .addCase(taskAction.fulfilled, (state, action) => remember(state, action.payload))
      .addCase(eventReceived, (state, action) => {
        const { topic, data } = action.payload;
        if (!topic.startsWith('tasks.') || !data?.id) return;
        // Tasks on screen follow their events; new ones join the first page when they match.
        if (state.byId[data.id] || state.items.some((t) => t.id === data.id)) remember(state, data);
        else if (topic === 'tasks.created') addToFirstPage(state, data);
      });
  },
});

function addToFirstPage(state, task) {
  if (state.status !== 'ready' || state.query.cursor || !matches(task, state.query.filters)) return;
  if (state.items.some((t) => t.id === task.id)) return;
  // The page grows rather than drop its last row: the next-page cursor follows that row.
  state.items.unshift(task);
}

export default tasksSlice.reducer;
