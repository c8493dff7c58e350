import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, problemOf } from '../../services/api.js';
import { eventReceived } from '../live/liveSlice.js';

export const fetchAgents = createAsyncThunk('agents/fetch', async (_, { rejectWithValue }) => {
  try {
    return (await api.get('/agents', { params: { limit: 500 } })).data.items;
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

const agentsSlice = createSlice({
  name: 'agents',
  initialState: { items: [], status: 'idle', error: null },
  reducers: {},
  extraReducers: (builder) => {
    const upsert = (state, agent) => {
      const index = state.items.findIndex((a) => a.id === agent.id);
      if (index >= 0) state.items[index] = { ...state.items[index], ...agent, stats: agent.stats ?? state.items[index].stats };
      else state.items.push(agent);
    };
    builder
      .addCase(fetchAgents.pending, (state) => {
        state.status = 'loading';
      })
      .addCase(fetchAgents.fulfilled, (state, action) => {
        state.status = 'ready';
        state.error = null;
        state.items = action.payload;
      })
      .addCase(fetchAgents.rejected, (state, action) => {
        state.status = 'error';
        state.error = action.payload?.message ?? 'Could not load the agents.';
      })
      .addCase(controlAgent.fulfilled, (state, action) => upsert(state, action.payload))
      .addCase(eventReceived, (state, action) => {
        const { topic, data } = action.payload;
        if (topic === 'agents.created' || topic === 'agents.updated') upsert(state, data);
        else if (topic === 'agents.deleted') state.items = state.items.filter((a) => a.id !== data.id);
      });
  },
});

export default agentsSlice.reducer;
