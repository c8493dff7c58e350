import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { allowed, login, loginMessage, logout, ssoMessage } from './authSlice.js';
import LoginPage from './LoginPage.jsx';
import Layout, { RequireRole } from '../../components/Layout.jsx';
import { makeStore } from '../../store.js';
import { getSession, setSession } from '../../services/api.js';
import { admin, mockApi, operator, problem, signedIn, viewer } from '../../test/mockApi.js';

const tokens = { access_token: 'a1', refresh_token: 'r1', expires_in: 900, token_type: 'Bearer', user: admin };

describe('auth slice', () => {
  it('signs in with an email, keeps the session and the user', async () => {
    const calls = mockApi({ 'POST /auth/login': () => [200, tokens] });
    const store = makeStore();
    await store.dispatch(login({ login: 'admin@example.com', password: 'secret-pw' }));
    expect(calls[0].body).toEqual({ email: 'admin@example.com', password: 'secret-pw', session: 'cookie' });
    expect(store.getState().auth).toMatchObject({ user: admin, error: null, status: 'idle' });
    expect(getSession()).toMatchObject({ access_token: 'a1', user: admin });
    expect(getSession().refresh_token).toBeUndefined();
    expect(getSession().expires_at).toBeGreaterThan(Date.now() + 800000);
  });

  it('signs in with a user name when there is no @', async () => {
    const calls = mockApi({ 'POST /auth/login': () => [200, tokens] });
    await makeStore().dispatch(login({ login: ' admin ', password: 'x' }));
    expect(calls[0].body).toEqual({ username: 'admin', password: 'x', session: 'cookie' });
  });

  it('says "Invalid email or password" on a 401 and the wait on a 429', async () => {
    const store = makeStore();
    mockApi({ 'POST /auth/login': () => problem(401, 'Unauthorized', 'invalid email or password') });
    await store.dispatch(login({ login: 'admin@example.com', password: 'wrong' }));
    expect(store.getState().auth.error).toBe('Invalid email or password.');
    expect(store.getState().auth.user).toBeNull();
    mockApi({ 'POST /auth/login': () => [429, { title: 'Too Many Requests', status: 429, detail: 'too many failed logins' }, { 'retry-after': '42' }] });
    await store.dispatch(login({ login: 'admin@example.com', password: 'wrong' }));
    expect(store.getState().auth.error).toBe('Too many attempts, try again in 42 seconds.');
  });

  it('tells a deactivated account so, apart from a wrong password', () => {
    const deactivated = { status: 403, type: 'https://digital-enterprise.dev/problems/account-deactivated', message: 'this account is deactivated' };
    expect(loginMessage(deactivated)).toBe('This account is deactivated. Ask an administrator to activate it again.');
  });

  it('maps other failures to readable messages', () => {
    expect(loginMessage({ status: 429, retryAfter: null })).toBe('Too many attempts, try again in a minute.');
    expect(loginMessage({ status: 0, message: 'The server cannot be reached.' })).toBe('The server cannot be reached.');
  });

  it('logs out: revokes the refresh token, forgets the session and every slice', async () => {
    setSession(signedIn(admin));
    const calls = mockApi({ 'POST /auth/logout': () => [204] });
    const store = makeStore({ auth: { user: admin, status: 'idle', error: null, fields: {}, notice: null } });
    store.dispatch({ type: 'agents/fetch/fulfilled', payload: [{ id: 'x', name: 'Echo', status: 'idle', capabilities: [] }] });
    await store.dispatch(logout());
    expect(calls[0]).toMatchObject({ url: '/auth/logout', body: undefined }); // the cookie names the session
    expect(getSession()).toBeNull();
    expect(store.getState().auth.user).toBeNull();
    expect(store.getState().agents.items).toEqual([]);
  });

  it('shows why when a refresh ends the session', () => {
    setSession(signedIn(admin));
    const store = makeStore();
    expect(store.getState().auth.user).toEqual(admin);
    setSession(null, 'expired');
    expect(store.getState().auth).toMatchObject({ user: null, notice: 'Your session has expired. Please sign in again.' });
  });

  it('mirrors the server role table', () => {
    expect(allowed(viewer, 'read')).toBe(true);
    for (const action of ['runTasks', 'controlAgents', 'manageAgents', 'runWorkflows', 'admin']) expect(allowed(viewer, action)).toBe(false);
    expect(allowed(operator, 'controlAgents')).toBe(true);
    expect(allowed(operator, 'runTasks')).toBe(true);
    expect(allowed(operator, 'manageAgents')).toBe(false);
    expect(allowed(operator, 'admin')).toBe(false);
    expect(allowed({ roles: ['manager'] }, 'manageWorkflows')).toBe(true);
    expect(allowed({ roles: ['manager'] }, 'admin')).toBe(false);
    expect(allowed({ roles: ['agent'] }, 'read')).toBe(false);
    expect(allowed(admin, 'admin')).toBe(true);
    expect(allowed(null, 'read')).toBe(false);
  });
});

describe('LoginPage', () => {
  const renderLogin = (store = makeStore()) => {
    render(
      <Provider store={store}>
        <LoginPage />
      </Provider>,
    );
    return store;
  };
  const submit = (email, password) => {
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  };

  it('shows a clear alert for a wrong password', async () => {
    mockApi({ 'POST /auth/login': () => problem(401, 'Unauthorized', 'invalid email or password') });
    renderLogin();
    submit('admin@example.com', 'nope-nope');
    expect((await screen.findByRole('alert')).textContent).toBe('Invalid email or password.');
  });

  it('shows the wait from Retry-After when throttled', async () => {
    mockApi({ 'POST /auth/login': () => [429, { title: 'Too Many Requests', status: 429 }, { 'retry-after': '37' }] });
    renderLogin();
    submit('admin@example.com', 'nope-nope');
    expect((await screen.findByRole('alert')).textContent).toBe('Too many attempts, try again in 37 seconds.');
  });

  it('marks the field the server names as invalid', async () => {
    mockApi({ 'POST /auth/login': () => problem(422, 'Validation failed', 'the body has errors', { errors: [{ field: 'email', message: 'must be an email address' }] }) });
    renderLogin();
    submit('not-an-email@', 'x');
    await screen.findByText('must be an email address');
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
  });

  it('does not send an empty form', () => {
    const calls = mockApi({});
    renderLogin();
    expect(screen.getByRole('button', { name: 'Sign in' }).disabled).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it('signs in', async () => {
    mockApi({ 'POST /auth/login': () => [200, tokens] });
    const store = renderLogin();
    submit('admin@example.com', 'right-password');
    await waitFor(() => expect(store.getState().auth.user).toEqual(admin));
  });
});

describe('role-gated navigation', () => {
  const renderAt = (user, path) => {
    setSession(signedIn(user));
    const store = makeStore();
    render(
      <Provider store={store}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<p>home</p>} />
              <Route path="users" element={<RequireRole action="admin"><p>the users page</p></RequireRole>} />
              <Route path="api-keys" element={<RequireRole action="admin"><p>the keys page</p></RequireRole>} />
            </Route>
          </Routes>
        </MemoryRouter>
      </Provider>,
    );
  };

  it('offers a viewer no admin pages', () => {
    renderAt(viewer, '/');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const names = [...nav.querySelectorAll('a')].map((a) => a.textContent);
    expect(names).toEqual(['Dashboard', 'Agents', 'Tasks', 'Workflows', 'Leads', 'Companies', 'Lead models', 'Pipeline', 'Campaigns', 'Content', 'AI', 'Requirements', 'Stakeholders', 'Integrations']);
  });

  it('shows a viewer "no access" at /users and /api-keys, not the page', () => {
    renderAt(viewer, '/users');
    expect(screen.getByRole('alert').textContent).toContain('You do not have access to this page.');
    expect(screen.queryByText('the users page')).toBeNull();
    renderAt(viewer, '/api-keys');
    expect(screen.queryByText('the keys page')).toBeNull();
  });

  it('gives an admin Users and API keys', () => {
    renderAt(admin, '/users');
    expect(screen.getByRole('link', { name: 'Users' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'API keys' })).toBeTruthy();
    expect(screen.getByText('the users page')).toBeTruthy();
  });

  it('shows the live status and the signed-in user', () => {
    renderAt(operator, '/');
    expect(screen.getByRole('status').textContent).toContain('Connecting');
    expect(screen.getByText('op')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Log out' })).toBeTruthy();
  });
});

describe('Sign in with SSO', () => {
  const renderLogin = () =>
    render(
      <Provider store={makeStore()}>
        <LoginPage />
      </Provider>,
    );

  it('offers the button only when the server says single sign-on is configured', async () => {
    const calls = mockApi({ 'GET /auth/providers': () => [200, { password: true, oidc: true, oidc_login_url: '/api/v1/auth/oidc/login' }] });
    renderLogin();
    const button = await screen.findByRole('link', { name: 'Sign in with SSO' });
    // A full navigation to the server, which sends the browser on to the identity provider.
    expect(button.getAttribute('href')).toBe('/api/v1/auth/oidc/login');
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/auth/providers', auth: null });
  });

  it('shows no button when it is not configured, or the server cannot say', async () => {
    const calls = mockApi({ 'GET /auth/providers': () => [200, { password: true, oidc: false, oidc_login_url: null }] });
    renderLogin();
    await waitFor(() => expect(calls.length).toBe(1));
    expect(screen.queryByRole('link', { name: 'Sign in with SSO' })).toBeNull();
    mockApi({ 'GET /auth/providers': () => 'network' });
    renderLogin();
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByRole('link', { name: 'Sign in with SSO' })).toBeNull();
  });

  it('never links anywhere but the API', async () => {
    mockApi({ 'GET /auth/providers': () => [200, { oidc: true, oidc_login_url: 'javascript:alert(1)' }] });
    renderLogin();
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByRole('link', { name: 'Sign in with SSO' })).toBeNull();
  });

  it('says why a single sign-on was refused, once, and takes the code off the address', async () => {
    window.history.replaceState(null, '', '/?sso_error=no_role');
    mockApi({ 'GET /auth/providers': () => [200, { oidc: true, oidc_login_url: '/api/v1/auth/oidc/login' }] });
    renderLogin();
    expect(screen.getByRole('alert').textContent).toBe('Your account at the identity provider has no role here. Ask an administrator.');
    await screen.findByRole('link', { name: 'Sign in with SSO' });
    expect(window.location.search).toBe('');
  });

  it('words every refusal code itself, never text from the address', () => {
    for (const code of ['state', 'denied', 'provider', 'token', 'no_role', 'email', 'deactivated']) expect(ssoMessage(code)).toMatch(/\.$/);
    expect(ssoMessage('Call 0800 now')).toBe('Single sign-on failed. Please try again.');
    expect(ssoMessage(null)).toBeNull();
  });
});
