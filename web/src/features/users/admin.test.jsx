import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import UsersPage from './UsersPage.jsx';
import ApiKeysPage from '../apiKeys/ApiKeysPage.jsx';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, problem, signedIn } from '../../test/mockApi.js';

const alice = { id: 'u-alice', email: 'alice@example.com', username: 'alice', roles: ['viewer'], is_active: true, created_at: '2026-11-24T09:00:00.000Z' };
const me = { ...admin, is_active: true, created_at: '2026-11-24T08:00:00.000Z' };

const renderPage = (page) => {
  setSession(signedIn(admin));
  render(<Provider store={makeStore()}><MemoryRouter>{page}</MemoryRouter></Provider>);
};

describe('UsersPage', () => {
  it('creates a user with several roles, and shows field errors next to the fields', async () => {
    const calls = mockApi({
      'GET /users': () => [200, { items: [me], next_cursor: null }],
      'POST /users': (c) =>
        c.body.password.length < 12
          ? problem(422, 'Validation failed', 'the body has errors', { errors: [{ field: 'password', message: 'must be at least 12 characters' }] })
          : [201, { ...alice, email: c.body.email, roles: c.body.roles }],
    });
    renderPage(<UsersPage />);
    await screen.findByText('admin@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'New user' }));
    const form = screen.getByRole('form', { name: 'New user' });
    fireEvent.change(within(form).getByLabelText('Email'), { target: { value: 'alice@example.com' } });
    fireEvent.change(within(form).getByLabelText('Password'), { target: { value: 'short' } });
    fireEvent.click(within(form).getByRole('checkbox', { name: /^operator/ }));
    fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    expect(await within(form).findByText('must be at least 12 characters')).toBeTruthy();
    expect(within(form).getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');

    fireEvent.change(within(form).getByLabelText('Password'), { target: { value: 'long-enough-pw' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
    await screen.findByText('alice@example.com was added.');
    expect(calls.at(-1).body).toEqual({ email: 'alice@example.com', password: 'long-enough-pw', roles: ['viewer', 'operator'] });
  });

  it('shows a duplicate email on the field and clears the previous success banner', async () => {
    mockApi({
      'GET /users': () => [200, { items: [me], next_cursor: null }],
      'POST /users': (c) =>
        c.body.email === 'taken@example.com'
          ? problem(409, 'Conflict', 'email taken@example.com is already in use', { errors: [{ field: 'email', message: 'is already in use' }] })
          : [201, { ...alice, email: c.body.email }],
    });
    renderPage(<UsersPage />);
    await screen.findByText('admin@example.com');
    const add = (email) => {
      const form = screen.getByRole('form', { name: 'New user' });
      fireEvent.change(within(form).getByLabelText('Email'), { target: { value: email } });
      fireEvent.change(within(form).getByLabelText('Password'), { target: { value: 'long-enough-pw' } });
      fireEvent.click(within(form).getByRole('button', { name: 'Add user' }));
      return form;
    };
    fireEvent.click(screen.getByRole('button', { name: 'New user' }));
    add('alice@example.com');
    await screen.findByText('alice@example.com was added.');
    fireEvent.click(screen.getByRole('button', { name: 'New user' }));
    const form = add('taken@example.com');
    expect(await within(form).findByText('is already in use')).toBeTruthy();
    expect(within(form).getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByText('alice@example.com was added.')).toBeNull();
    fireEvent.keyDown(within(form).getByLabelText('Email'), { key: 'Escape' });
    expect(screen.queryByRole('form', { name: 'New user' })).toBeNull();
  });

  it('deactivates a user and changes roles with PATCH; never offers to deactivate yourself', async () => {
    const calls = mockApi({
      'GET /users': () => [200, { items: [alice, me], next_cursor: null }],
      'PATCH /users/u-alice': (c) => [200, { ...alice, ...c.body }],
    });
    renderPage(<UsersPage />);
    await screen.findByText('alice@example.com');
    expect(screen.queryByRole('button', { name: 'Deactivate admin@example.com' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Deactivate alice@example.com' }));
    // Nothing happens until it is confirmed; "Keep active" goes back.
    const ask = screen.getByRole('group', { name: 'Deactivate alice@example.com?' });
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    fireEvent.click(within(ask).getByRole('button', { name: 'Keep active' }));
    expect(screen.queryByRole('group', { name: 'Deactivate alice@example.com?' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Deactivate alice@example.com' }));
    fireEvent.click(within(screen.getByRole('group', { name: 'Deactivate alice@example.com?' })).getByRole('button', { name: 'Deactivate' }));
    await screen.findByRole('button', { name: 'Activate alice@example.com' });
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', url: '/users/u-alice', body: { is_active: false } });

    fireEvent.click(screen.getByRole('button', { name: 'Change the roles of alice@example.com' }));
    const editor = screen.getByRole('group', { name: 'Roles of alice@example.com' });
    fireEvent.click(within(editor).getByRole('checkbox', { name: 'manager' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save roles' }));
    await screen.findByText('The roles of alice@example.com were saved.');
    expect(calls.at(-1).body).toEqual({ roles: ['viewer', 'manager'] });
  });
});

describe('ApiKeysPage', () => {
  it('shows a new key once with a copy button, and deletes after confirmation', async () => {
    let keys = [];
    const calls = mockApi({
      'GET /api-keys': () => [200, { items: keys, next_cursor: null }],
      'POST /api-keys': (c) => {
        keys = [{ id: 'k1', name: c.body.name, roles: c.body.roles, prefix: 'de_abc', created_at: '2026-11-24T09:00:00.000Z', last_used_at: null }];
        return [201, { id: 'k1', name: c.body.name, roles: c.body.roles, key: 'de_abcdefSECRET', created_at: '2026-11-24T09:00:00.000Z' }];
      },
      'DELETE /api-keys/k1': () => [204],
    });
    renderPage(<ApiKeysPage />);
    expect(await screen.findByText('No API keys yet')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Give the key a name, e.g. ci-pipeline.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'ci' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect((await screen.findByLabelText('The new API key')).textContent).toBe('de_abcdefSECRET');
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ name: 'ci', roles: ['operator'] });
    expect(screen.getByRole('button', { name: 'Copy key' })).toBeTruthy();
    await screen.findByRole('cell', { name: 'ci' });
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByText('de_abcdefSECRET')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Delete ci' }));
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'ci' })).toBeNull());
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/api-keys/k1' });
  });
});
