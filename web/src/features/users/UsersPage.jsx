import { useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { Empty, ErrorBanner, Loading, PageHeader, StatusBadge, formatTime } from '../../components/ui.jsx';

const roles = ['admin', 'manager', 'operator', 'viewer', 'agent'];
const loadUsers = async () => (await api.get('/users', { params: { limit: 500 } })).data.items;

export default function UsersPage() {
  const { data: users, error, setError, reload: load } = useResource(loadUsers);
  const [form, setForm] = useState({ email: '', username: '', password: '', role: 'viewer' });
  const [fields, setFields] = useState({});
  const create = async (e) => {
    e.preventDefault();
    try {
      const body = { email: form.email, password: form.password, roles: [form.role] };
      if (form.username) body.username = form.username;
      await api.post('/users', body);
      setForm({ email: '', username: '', password: '', role: 'viewer' });
      setFields({});
      load();
    } catch (err) {
      const p = problemOf(err);
      setFields(p.fields);
      setError(p.message);
    }
  };
  const update = async (user, change) => {
    try {
      await api.patch(`/users/${user.id}`, change);
      load();
    } catch (err) {
      setError(problemOf(err).message);
    }
  };
  return (
    <>
      <PageHeader title="Users" subtitle="Who can sign in, and what they may do" />
      <ErrorBanner message={error} />
      <form className="card form-row" onSubmit={create} aria-label="New user">
        <label>
          Email
          <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} aria-invalid={!!fields.email} />
          {fields.email && <span className="field-error">{fields.email}</span>}
        </label>
        <label>
          User name
          <input value={form.username} placeholder="from the email" onChange={(e) => setForm({ ...form, username: e.target.value })} />
          {fields.username && <span className="field-error">{fields.username}</span>}
        </label>
        <label>
          Password
          <input type="password" required minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} autoComplete="new-password" />
          {fields.password && <span className="field-error">{fields.password}</span>}
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {roles.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button className="button primary" type="submit">
          Add user
        </button>
      </form>
      {users === null && !error && <Loading what="Loading users" />}
      {users?.length === 0 && <Empty title="No users" />}
      {users?.length > 0 && (
        <div className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">User name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>{u.username}</td>
                  <td>
                    <select aria-label={`Role of ${u.email}`} value={u.roles[0]} onChange={(e) => update(u, { roles: [e.target.value] })}>
                      {roles.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <StatusBadge status={u.is_active ? 'active' : 'inactive'} />
                  </td>
                  <td>{formatTime(u.created_at)}</td>
                  <td>
                    <button className="button secondary small" type="button" onClick={() => update(u, { is_active: !u.is_active })}>
                      {u.is_active ? 'Deactivate' : 'Activate'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
