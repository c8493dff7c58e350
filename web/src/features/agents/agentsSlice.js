import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, problemOf } from '../../services/api.js';
import { eventReceived } from '../live/liveSlice.js';

export const fetchAgents = createAsyncThunk('agents/fetch', async (_, { rejectWithValue }) => {
  try {
    const items = [];
    let cursor = null;
    // Every agent, page by page (a handful in practice; bounded in case of a runaway cursor).
    for (let page = 0; page < 20; page++) {
      const { data } = await api.get('/agents', { params: cursor ? { limit: 500, cursor } : { limit: 500 } });
      items.push(...(data.items ?? []));
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return items;
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

export const controlAgent = createAsyncThunk('agents/control', async ({ id, action }, { rejectWithValue }) => {
  try {
    return (await api.post(`/agents/${id}/${action}`)).data;
  } catch (error) {
    return rejectWithValue(problemOf(error));
  }
});

export const agentActions = ['start', 'pause', 'stop'];

// Which of start/pause/stop make sense for an agent in this status.
export function actionsFor(status) {
  switch (status) {
    case 'idle':
    case 'busy':
      return ['pause', 'stop'];
    case 'paused':
      return ['start', 'stop'];
    default: // stopped, offline, error
      return ['start'];
  }
}

const agentsSlice = createSlice({
  name: 'agents',
  initialState: { items: [], status: 'idle', error: null, pending: {}, actionError: null },
  reducers: {},
  extraReducers: (builder) => {
    const upsert = (state, agent) => {
      if (!agent?.id) return;
      const index = state.items.findIndex((a) => a.id === agent.id);
      // Events may carry an agent without its counters: keep the ones we have.
      if (index >= 0) state.items[index] = { ...state.items[index], ...agent, stats: agent.stats ?? state.items[index].stats };
      else state.items.push(agent);
    };
    builder
      .addCase(fetchAgents.pending, (state) => {
        if (state.status !== 'ready') state.status = 'loading';
      })
      .addCase(fetchAgents.fulfilled, (state, action) => {
        state.status = 'ready';
        state.error = null;
        state.items = action.payload;
      })
      .addCase(fetchAgents.rejected, (state, action) => {
        state.status = state.items.length ? 'ready' : 'error';
        state.error = action.payload?.message ?? 'Could not load the agents.';
      })
      .addCase(controlAgent.pending, (state, action) => {
        state.pending[action.meta.arg.id] = action.meta.arg.action;
        state.actionError = null;
      })
      .addCase(controlAgent.fulfilled, (state, action) => {
        delete state.pending[action.meta.arg.id];
        upsert(state, action.payload);
      })
      .addCase(controlAgent.rejected, (state, action) => {
        delete state.pending[action.meta.arg.id];
        const agent = state.items.find((a) => a.id === action.meta.arg.id);
        state.actionError = `Could not ${action.meta.arg.action} ${agent?.name ?? 'the agent'}: ${action.payload?.message ?? 'the request failed.'}`;
      })
      .addCase(eventReceived, (state, action) => {
        const { topic, data } = action.payload;
        if (topic === 'agents.created' || topic === 'agents.updated') upsert(state, data);
        else if (topic === 'agents.deleted') state.items = state.items.filter((a) => a.id !== data?.id);
      });
  },
});

export default agentsSlice.reducer;

export const selectAgentName = (state, id) => state.agents.items.find((a) => a.id === id)?.name ?? null;
