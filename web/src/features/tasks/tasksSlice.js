import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, problemOf } from '../../services/api.js';
import { eventReceived } from '../live/liveSlice.js';

const pageSize = 25;

export const fetchTasks = createAsyncThunk('tasks/fetch', async ({ filters = {}, cursor = null } = {}, { rejectWithValue }) => {
  try {
    const params = { limit: pageSize, ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) };
    if (cursor) params.cursor = cursor;
    return { ...(await api.get('/tasks', { params })).data, cursor };
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
    return (await api.post('/tasks', task)).data;
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

const tasksSlice = createSlice({
  name: 'tasks',
  initialState: { items: [], nextCursor: null, cursors: [], status: 'idle', error: null, byId: {} },
  reducers: {},
  extraReducers: (builder) => {
    const remember = (state, task) => {
      state.byId[task.id] = task;
      const index = state.items.findIndex((t) => t.id === task.id);
      if (index >= 0) state.items[index] = task;
    };
    builder
      .addCase(fetchTasks.pending, (state) => {
        state.status = 'loading';
      })
      .addCase(fetchTasks.fulfilled, (state, action) => {
        state.status = 'ready';
        state.error = null;
        state.items = action.payload.items;
        state.nextCursor = action.payload.next_cursor;
      })
      .addCase(fetchTasks.rejected, (state, action) => {
        state.status = 'error';
        state.error = action.payload?.message ?? 'Could not load the tasks.';
      })
      .addCase(fetchTask.fulfilled, (state, action) => remember(state, action.payload))
      .addCase(createTask.fulfilled, (state, action) => remember(state, action.payload))
      .addCase(taskAction.fulfilled, (state, action) => remember(state, action.payload))
      .addCase(eventReceived, (state, action) => {
        const { topic, data } = action.payload;
        if (!topic.startsWith('tasks.') || !data?.id) return;
        // Only tasks someone is looking at are kept: the list on screen and opened details.
        if (state.byId[data.id] || state.items.some((t) => t.id === data.id)) remember(state, data);
      });
  },
});

export default tasksSlice.reducer;
