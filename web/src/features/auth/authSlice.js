import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, loadSession, problemOf, saveSession } from '../../services/api.js';

export const login = createAsyncThunk('auth/login', async ({ email, password }, { rejectWithValue }) => {
  try {
    const { data } = await api.post('/auth/login', { email, password });
    const session = { access_token: data.access_token, refresh_token: data.refresh_token, user: data.user };
    saveSession(session);
    return session;
  } catch (error) {
    const problem = problemOf(error);
    if (problem.status === 401) problem.message = 'Invalid email or password.';
    if (problem.status === 429) {
      const wait = error.response.headers?.['retry-after'];
      problem.message = `Too many attempts. Try again in ${wait ?? 'a few'} seconds.`;
    }
    return rejectWithValue(problem);
  }
});

export const logout = createAsyncThunk('auth/logout', async () => {
  const session = loadSession();
  saveSession(null);
  if (session?.refresh_token) await api.post('/auth/logout', { refresh_token: session.refresh_token }).catch(() => {});
});

const initial = loadSession();

const authSlice = createSlice({
  name: 'auth',
  initialState: { user: initial?.user ?? null, status: 'idle', error: null },
  reducers: {
    sessionChanged(state, action) {
      state.user = action.payload?.user ?? null;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(login.pending, (state) => {
        state.status = 'loading';
        state.error = null;
      })
      .addCase(login.fulfilled, (state, action) => {
        state.status = 'idle';
        state.error = null;
        state.user = action.payload.user;
      })
      .addCase(login.rejected, (state, action) => {
        state.status = 'idle';
        state.error = action.payload?.message ?? 'Login failed.';
      })
      .addCase(logout.fulfilled, (state) => {
        state.user = null;
      });
  },
});

export const { sessionChanged } = authSlice.actions;
export default authSlice.reducer;

// What a role may do, mirroring the server's table (docs/api.md).
const can = {
  manageAgents: ['admin', 'manager'],
  controlAgents: ['admin', 'manager', 'operator'],
  runTasks: ['admin', 'manager', 'operator'],
  admin: ['admin'],
  read: ['admin', 'manager', 'operator', 'viewer'],
};
export const allowed = (user, action) => !!user && user.roles.some((r) => can[action].includes(r));
