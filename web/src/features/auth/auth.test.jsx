import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import reducer, { allowed, login } from './authSlice.js';
import LoginPage from './LoginPage.jsx';
import Layout from '../../components/Layout.jsx';
import { makeStore } from '../../store.js';
import { api } from '../../services/api.js';

const viewer = { id: 'v', email: 'v@example.com', username: 'viewer', roles: ['viewer'] };
const admin = { id: 'a', email: 'a@example.com', username: 'admin', roles: ['admin'] };

beforeEach(() => sessionStorage.clear());

describe('authSlice', () => {
  it('keeps the user on a successful login and the message on a failed one', () => {
    let state = reducer(undefined, { type: '@@init' });
    state = reducer(state, { type: login.rejected.type, payload: { message: 'Invalid email or password.' } });
    expect(state.error).toBe('Invalid email or password.');
    expect(state.user).toBeNull();
    state = reducer(state, { type: login.fulfilled.type, payload: { user: admin } });
    expect(state.user).toEqual(admin);
    expect(state.error).toBeNull();
  });

  it('turns a 401 into a clear message and a 429 into a wait', async () => {
    const store = makeStore();
    vi.spyOn(api, 'post').mockRejectedValueOnce({ response: { status: 401, data: { status: 401, title: 'Authentication required', detail: 'invalid email or password' } } });
    await store.dispatch(login({ email: 'a@example.com', password: 'x' }));
    expect(store.getState().auth.error).toBe('Invalid email or password.');
    vi.spyOn(api, 'post').mockRejectedValueOnce({ response: { status: 429, headers: { 'retry-after': '42' }, data: { status: 429, title: 'Too many requests', detail: 'wait' } } });
    await store.dispatch(login({ email: 'a@example.com', password: 'x' }));
    expect(store.getState().auth.error).toBe('Too many attempts. Try again in 42 seconds.');
  });

  it('mirrors the server roles', () => {
    expect(allowed(viewer, 'read')).toBe(true);
    expect(allowed(viewer, 'runTasks')).toBe(false);
    expect(allowed({ roles: ['operator'] }, 'controlAgents')).toBe(true);
    expect(allowed({ roles: ['operator'] }, 'manageAgents')).toBe(false);
    expect(allowed(admin, 'admin')).toBe(true);
    expect(allowed(null, 'read')).toBe(false);
  });
});

describe('LoginPage and navigation', () => {
  it('shows the login error as an alert', () => {
    const store = makeStore({ auth: { user: null, status: 'idle', error: 'Invalid email or password.' } });
    render(<Provider store={store}><LoginPage /></Provider>);
    expect(screen.getByRole('alert').textContent).toBe('Invalid email or password.');
    expect(screen.getByLabelText('Email')).toBeTruthy();
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });

  it('offers admin pages to admins only', () => {
    const asViewer = makeStore({ auth: { user: viewer, status: 'idle', error: null } });
    const { unmount } = render(<Provider store={asViewer}><MemoryRouter><Layout /></MemoryRouter></Provider>);
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Agents' })).toBeTruthy();
    unmount();
    const asAdmin = makeStore({ auth: { user: admin, status: 'idle', error: null } });
    render(<Provider store={asAdmin}><MemoryRouter><Layout /></MemoryRouter></Provider>);
    expect(screen.getByRole('link', { name: 'Users' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'API keys' })).toBeTruthy();
  });
});
