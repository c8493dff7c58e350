import { useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { Empty, ErrorBanner, Loading, PageHeader, formatTime } from '../../components/ui.jsx';

const roles = ['operator', 'viewer', 'manager', 'agent', 'admin'];
const loadKeys = async () => (await api.get('/api-keys', { params: { limit: 500 } })).data.items;

export default function ApiKeysPage() {
  const { data: keys, error, setError, reload: load } = useResource(loadKeys);
  const [name, setName] = useState('');
  const [role, setRole] = useState('operator');
  const [created, setCreated] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    try {
      setCreated((await api.post('/api-keys', { name, roles: [role] })).data);
      setName('');
      load();
    } catch (err) {
      setError(problemOf(err).message);
    }
  };
  const remove = async (id) => {
    try {
      await api.delete(`/api-keys/${id}`);
      load();
    } catch (err) {
      setError(problemOf(err).message);
    }
  };
  return (
    <>
      <PageHeader title="API keys" subtitle="Credentials for scripts, CI and remote agents" />
      <ErrorBanner message={error} />
      <form className="card form-row" onSubmit={create} aria-label="New API key">
        <label>
          Name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ci-pipeline" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button className="button primary" type="submit">
          Create key
        </button>
      </form>
      {created && (
        <div className="card key-once" role="status">
          <strong>Copy this key now: it will not be shown again.</strong>
          <div className="row">
            <code className="secret">{created.key}</code>
            <button className="button secondary small" type="button" onClick={() => navigator.clipboard?.writeText(created.key)}>
              Copy
            </button>
            <button className="button secondary small" type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {keys === null && !error && <Loading what="Loading keys" />}
      {keys?.length === 0 && <Empty title="No API keys yet">Create one above; use it as the X-API-Key header.</Empty>}
      {keys?.length > 0 && (
        <div className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Roles</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.roles.join(', ')}</td>
                  <td>{formatTime(k.created_at)}</td>
                  <td>{formatTime(k.last_used_at)}</td>
                  <td>
                    <button className="button danger small" type="button" onClick={() => remove(k.id)} aria-label={`Revoke ${k.name}`}>
                      Revoke
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
