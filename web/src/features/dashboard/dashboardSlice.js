import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, problemOf } from '../../services/api.js';

const sampleLimit = 120;

export const fetchSummary = createAsyncThunk(
  'dashboard/summary',
  async (_, { rejectWithValue }) => {
    try {
      return (await api.get('/analytics/summary')).data;
    } catch (error) {
      return rejectWithValue(problemOf(error));
    }
  },
  // One at a time: a burst of events asks once.
  { condition: (_, { getState }) => !getState().dashboard.loading },
);

// The KPI summary, and a short history of it (queue depth, running tasks, success rate) taken
// each time it is fetched, for the small trend charts.
const dashboardSlice = createSlice({
  name: 'dashboard',
  initialState: { summary: null, loading: false, error: null, samples: [] },
  reducers: {},
  extraReducers: (builder) => {
    builder
      .addCase(fetchSummary.pending, (state) => {
        state.loading = true;
      })
      .addCase(fetchSummary.fulfilled, (state, action) => {
        const s = action.payload;
        state.loading = false;
        state.error = null;
        state.summary = s;
        const t = Date.now();
        const sample = { t, queue: s.queue_depth ?? 0, running: s.tasks_by_status?.running ?? 0, success: s.success_rate };
        const last = state.samples.at(-1);
        // At most one sample a second; the same figures a second apart add nothing.
        if (last && t - last.t < 1000) state.samples[state.samples.length - 1] = sample;
        else state.samples.push(sample);
        if (state.samples.length > sampleLimit) state.samples.splice(0, state.samples.length - sampleLimit);
      })
      .addCase(fetchSummary.rejected, (state, action) => {
        state.loading = false;
        state.error = action.payload?.message ?? 'Could not load the figures.';
      });
  },
});

export default dashboardSlice.reducer;
