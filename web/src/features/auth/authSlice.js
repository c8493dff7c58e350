import { createAsyncThunk, createSlice } from '@reduxjs/toolkit';
import { api, getSession, problemOf, restoreSession, sessionFrom, setSession } from '../../services/api.js';

// What the login form shows for a refused login.
export function loginMessage(problem) {
  if (problem.status === 401) return 'Invalid email or password.';
  if (problem.status === 429) {
    const wait = problem.retryAfter;
    return wait ? `Too many attempts, try again in ${wait} seconds.` : 'Too many attempts, try again in a minute.';
  }
  if (problem.type?.endsWith('/account-deactivated')) return 'This account is deactivated. Ask an administrator to activate it again.';
  if (problem.status === 403) return 'This account may not sign in here.';
  return problem.message;
}

// What the login page says when single sign-on sent the browser back refused
// (/?sso_error=CODE: a code, never the provider's own words).
const ssoMessages = {
  state: 'The single sign-on took too long or was started in another window. Please try again.',
  denied: 'Single sign-on was cancelled.',
  provider: 'The identity provider could not complete the sign-in. Try again later.',
  token: 'The identity provider\'s answer could not be verified. Please try again.',
  no_role: 'Your account at the identity provider has no role here. Ask an administrator.',
  email: 'Your identity provider account cannot be matched to an account here by its email. Ask an administrator.',
  deactivated: 'This account is deactivated. Ask an administrator to activate it again.',
};
export function ssoMessage(code) {
  if (!code) return null;
  return ssoMessages[code] ?? 'Single sign-on failed. Please try again.';
}

// Whether the server offers single sign-on ({ oidc, oidc_login_url }); nothing when it cannot say.
export async function fetchProviders() {
  try {
    const { data } = await api.get('/auth/providers', { skipAuth: true, skipRefresh: true });
    return data;
  } catch {
    return null;
  }
}

export const login = createAsyncThunk('auth/login', async ({ login: who, password }, { rejectWithValue }) => {
  // session: 'cookie': the refresh token comes back in an HttpOnly cookie, not in the answer.
  const body = who.includes('@') ? { email: who.trim(), password, session: 'cookie' } : { username: who.trim(), password, session: 'cookie' };
  try {
    const { data } = await api.post('/auth/login', body, { skipAuth: true, skipRefresh: true });
    const session = sessionFrom(data);
    setSession(session);
    return session.user;
  } catch (error) {
    const problem = problemOf(error);
    return rejectWithValue({ ...problem, message: loginMessage(problem) });
  }
});

// The server revokes the cookie's refresh token and clears the cookie.
export const logout = createAsyncThunk('auth/logout', async () => {
  await api.post('/auth/logout', undefined, { skipAuth: true, skipRefresh: true, timeout: 5000 }).catch(() => {});
  setSession(null, 'logout');
});

// On load without a session in this tab: ask the server, whose cookie may still sign it in.
export const restore = createAsyncThunk('auth/restore', async () => (await restoreSession())?.user ?? null);

const authSlice = createSlice({
  name: 'auth',
  initialState: () => ({ user: getSession()?.user ?? null, restoring: !getSession(), status: 'idle', error: null, fields: {}, notice: null }),
  reducers: {
    // The session changed outside a login (refresh, expiry, another module).
    sessionChanged(state, action) {
      const { session, reason } = action.payload;
      state.user = session?.user ?? null;
      if (!session && reason === 'expired') state.notice = 'Your session has expired. Please sign in again.';
      if (!session && reason === 'logout') state.notice = 'You are signed out.';
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(restore.fulfilled, (state, action) => {
        state.restoring = false;
        state.user = action.payload ?? state.user;
      })
      .addCase(login.pending, (state) => {
        state.status = 'loading';
        state.error = null;
        state.fields = {};
        state.notice = null;
      })
      .addCase(login.fulfilled, (state, action) => {
        state.status = 'idle';
        state.user = action.payload;
      })
      .addCase(login.rejected, (state, action) => {
        state.status = 'idle';
        state.error = action.payload?.message ?? 'The sign-in failed. Try again.';
        state.fields = action.payload?.fields ?? {};
      });
  },
});

export const { sessionChanged } = authSlice.actions;
export default authSlice.reducer;

// What a role may do, mirroring the server's table (docs/api.md). The server enforces it;
// the UI only avoids offering what would be refused.
const can = {
  read: ['admin', 'manager', 'operator', 'viewer'],
  controlAgents: ['admin', 'manager', 'operator'],
  manageAgents: ['admin', 'manager'],
  runTasks: ['admin', 'manager', 'operator'],
  runWorkflows: ['admin', 'manager', 'operator'],
  manageWorkflows: ['admin', 'manager'],
  managePrompts: ['admin', 'manager'],
  manageDeals: ['admin', 'manager', 'operator'],
  manageLeads: ['admin', 'manager'],
  manageContent: ['admin', 'manager', 'operator'],
  manageBrandVoice: ['admin', 'manager'],
  manageCampaigns: ['admin', 'manager', 'operator'],
  manageRequirements: ['admin', 'manager', 'operator'],
  manageStakeholders: ['admin', 'manager'],
  manageIntegrations: ['admin', 'manager'],
  admin: ['admin'],
};
export const roles = ['admin', 'manager', 'operator', 'viewer', 'agent'];
export const allowed = (user, action) => !!user && (user.roles ?? []).some((r) => can[action]?.includes(r));
