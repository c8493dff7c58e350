import { useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import RolePicker from '../../components/RolePicker.jsx';
import { Empty, ErrorBanner, FieldError, Loading, PageHeader, StatusBadge, closeOnEscape, formatTime } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

const loadUsers = async () => {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const { data } = await api.get('/users', { params: cursor ? { limit: 500, cursor } : { limit: 500 } });
    items.push(...(data.items ?? []));
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
};
const blankForm = { email: '', username: '', password: '', roles: ['viewer'] };

function NewUser({ onCreated, onCancel, onStart }) {
  const [form, setForm] = useState(blankForm);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const fields = problem?.fields ?? {};
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const create = async (e) => {
    e.preventDefault();
    if (form.roles.length === 0) {
      setProblem({ message: 'Choose at least one role.', fields: { roles: 'Choose at least one role.' } });
      return;
    }
    setBusy(true);
    onStart();
    try {
      const body = { email: form.email.trim(), password: form.password, roles: form.roles };
      if (form.username.trim()) body.username = form.username.trim();
      const { data } = await api.post('/users', body);
      setForm(blankForm);
      setProblem(null);
      onCreated(data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  const describe = (name) => (fields[name] ? `user-${name}-error` : undefined);
  return (
    <form className="card new-user" onSubmit={create} aria-labelledby="new-user-title" noValidate onKeyDown={closeOnEscape(onCancel)}>
      <h2 id="new-user-title">New user</h2>
      {problem && <ErrorBanner message={problem.message} />}
      <div className="form-grid three">
        <div className="field">
          <label htmlFor="user-email">Email</label>
          <input id="user-email" type="email" required autoComplete="off" value={form.email} onChange={set('email')} aria-invalid={!!fields.email} aria-describedby={describe('email')} />
          <FieldError id="user-email-error" message={fields.email} />
        </div>
        <div className="field">
          <label htmlFor="user-username">
            User name <span className="optional">optional</span>
          </label>
          <input id="user-username" autoComplete="off" value={form.username} placeholder="from the email" onChange={set('username')} aria-invalid={!!fields.username} aria-describedby={describe('username')} />
          <FieldError id="user-username-error" message={fields.username} />
        </div>
        <div className="field">
          <label htmlFor="user-password">Password</label>
          <input id="user-password" type="password" required minLength={12} maxLength={256} autoComplete="new-password" value={form.password} onChange={set('password')} aria-invalid={!!fields.password} aria-describedby={fields.password ? 'user-password-error' : 'user-password-hint'} />
          {fields.password ? <FieldError id="user-password-error" message={fields.password} /> : <span className="field-hint" id="user-password-hint">At least 12 characters, not a common password.</span>}
        </div>
      </div>
      <RolePicker value={form.roles} onChange={(roles) => setForm({ ...form, roles })} error={fields.roles} />
      <div className="row">
        <button className="button primary" type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add user'}
        </button>
        <button className="button secondary" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RolesEditor({ user, onSave, onCancel }) {
  const [roles, setRoles] = useState(user.roles);
  return (
    <div className="roles-editor" onKeyDown={closeOnEscape(onCancel)}>
      <RolePicker value={roles} onChange={setRoles} legend={`Roles of ${user.email}`} compact />
      <div className="row">
        <button type="button" className="button primary small" disabled={roles.length === 0} onClick={() => onSave(roles)}>
          Save roles
        </button>
        <button type="button" className="button secondary small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export default function UsersPage() {
  const me = useSelector((s) => s.auth.user);
  const { data: users, setData, problem, loading, reload } = useResource(loadUsers);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [message, setMessage] = useState(null);
  const [confirming, setConfirming] = useState(null);

  const update = async (user, change, done) => {
    try {
      const { data } = await api.patch(`/users/${user.id}`, change);
      if (data?.id) setData((list) => list.map((u) => (u.id === data.id ? data : u)));
      else reload();
      setActionError(null);
      setMessage(done);
      setEditing(null);
      setConfirming(null);
    } catch (err) {
      setActionError(problemOf(err).message);
    }
  };

  return (
    <>
      <PageHeader title="Users" subtitle="Who can sign in, and what they may do">
        {!creating && (
          <button className="button primary" type="button" onClick={() => setCreating(true)}>
            <Icon name="plus" size={16} /> New user
          </button>
        )}
      </PageHeader>
      {creating && (
        <NewUser
          onStart={() => setMessage(null)}
          onCancel={() => setCreating(false)}
          onCreated={(user) => {
            setCreating(false);
            setMessage(`${user.email} was added.`);
            setData((list) => [user, ...(list ?? [])]);
          }}
        />
      )}
      <div aria-live="polite" className="sr-live">
        {message && <p className="notice notice-ok">{message}</p>}
      </div>
      <ErrorBanner message={actionError} />
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !users && <Loading what="Loading users" />}
      {users?.length === 0 && <Empty title="No users" icon="users" />}
      {users?.length > 0 && (
        <div className="card table-card">
          <table className="responsive-table">
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => {
                const self = u.id === me?.id;
                return (
                  <tr key={u.id} className={u.is_active ? '' : 'inactive-row'}>
                    <td data-label="User">
                      <div className="user-cell">
                        <span className="avatar small" aria-hidden="true">
                          {(u.username || u.email).slice(0, 2).toUpperCase()}
                        </span>
                        <span>
                          <strong className="truncate cell-text" title={u.email}>{u.email}</strong>
                          <span className="muted small block">
                            {u.username}
                            {self && ' · you'}
                          </span>
                        </span>
                      </div>
                    </td>
                    <td data-label="Roles">
                      {editing === u.id ? (
                        <RolesEditor user={u} onCancel={() => setEditing(null)} onSave={(roles) => update(u, { roles }, `The roles of ${u.email} were saved.`)} />
                      ) : (
                        <span className="role-tags">
                          {u.roles.map((r) => (
                            <span key={r} className={`role-tag role-${r}`}>
                              {r}
                            </span>
                          ))}
                        </span>
                      )}
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={u.is_active ? 'active' : 'inactive'} />
                    </td>
                    <td data-label="Created">{formatTime(u.created_at)}</td>
                    <td className="actions">
                      {editing !== u.id && (
                        <button type="button" className="button ghost small" onClick={() => setEditing(u.id)} aria-label={`Change the roles of ${u.email}`}>
                          Change roles
                        </button>
                      )}
                      {!self &&
                        (u.is_active ? (
                          confirming === u.id ? (
                            <span className="confirm" role="group" aria-label={`Deactivate ${u.email}?`} onKeyDown={closeOnEscape(() => setConfirming(null))}>
                              <span className="small">They can no longer sign in. Deactivate?</span>
                              <button type="button" className="button danger small" onClick={() => update(u, { is_active: false }, `${u.email} was deactivated.`)}>
                                Deactivate
                              </button>
                              <button type="button" className="button secondary small" onClick={() => setConfirming(null)}>
                                Keep active
                              </button>
                            </span>
                          ) : (
                            <button type="button" className="button danger small" onClick={() => setConfirming(u.id)} aria-label={`Deactivate ${u.email}`}>
                              Deactivate
                            </button>
                          )
                        ) : (
                          <button type="button" className="button secondary small" onClick={() => update(u, { is_active: true }, `${u.email} was activated again.`)} aria-label={`Activate ${u.email}`}>
                            Activate
                          </button>
                        ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
