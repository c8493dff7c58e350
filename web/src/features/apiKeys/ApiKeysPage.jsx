import { useRef, useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import RolePicker from '../../components/RolePicker.jsx';
import { CopyButton, Empty, ErrorBanner, FieldError, Loading, PageHeader, closeOnEscape, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';

const loadKeys = async () => (await api.get('/api-keys', { params: { limit: 500 } })).data.items ?? [];

function NewKey({ onCreated }) {
  const [name, setName] = useState('');
  const [roles, setRoles] = useState(['operator']);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const fields = problem?.fields ?? {};
  const create = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setProblem({ message: 'Give the key a name.', fields: { name: 'Give the key a name, e.g. ci-pipeline.' } });
    if (roles.length === 0) return setProblem({ message: 'Choose at least one role.', fields: { roles: 'Choose at least one role.' } });
    setBusy(true);
    try {
      const { data } = await api.post('/api-keys', { name: name.trim(), roles });
      setName('');
      setProblem(null);
      onCreated(data);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={create} aria-labelledby="new-key-title" noValidate>
      <h2 id="new-key-title">New API key</h2>
      {problem && <ErrorBanner message={problem.message} />}
      <div className="form-grid three">
        <div className="field span-2">
          <label htmlFor="key-name">Name</label>
          <input id="key-name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ci-pipeline" aria-invalid={!!fields.name} aria-describedby={fields.name ? 'key-name-error' : 'key-name-hint'} />
          {fields.name ? <FieldError id="key-name-error" message={fields.name} /> : <span className="field-hint" id="key-name-hint">What or who uses it.</span>}
        </div>
      </div>
      <RolePicker value={roles} onChange={setRoles} error={fields.roles} />
      <div className="row">
        <button className="button primary" type="submit" disabled={busy}>
          <Icon name="key" size={16} /> {busy ? 'Creating…' : 'Create key'}
        </button>
      </div>
    </form>
  );
}

export default function ApiKeysPage() {
  const { data: keys, setData, problem, loading, reload } = useResource(loadKeys);
  const [created, setCreated] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [actionError, setActionError] = useState(null);
  const createdRef = useRef(null);

  const remove = async (key) => {
    try {
      await api.delete(`/api-keys/${key.id}`);
      setData((list) => list.filter((k) => k.id !== key.id));
      setConfirming(null);
      setActionError(null);
    } catch (err) {
      setActionError(problemOf(err).message);
    }
  };

  return (
    <>
      <PageHeader title="API keys" subtitle="Credentials for scripts, CI and remote agents (sent as the X-API-Key header)" />
      <NewKey
        onCreated={(key) => {
          setCreated(key);
          reload();
          setTimeout(() => createdRef.current?.focus(), 0);
        }}
      />
      {created && (
        <section className="card key-once" aria-labelledby="key-once-title" ref={createdRef} tabIndex={-1}>
          <h2 id="key-once-title">
            <Icon name="lock" size={16} /> Copy the key “{created.name}” now
          </h2>
          <p>It is shown only once. Store it somewhere safe: if it is lost, delete it and create another.</p>
          <div className="secret-row">
            <code className="secret" aria-label="The new API key">
              {created.key}
            </code>
            <CopyButton text={created.key} label="Copy key" className="button primary small" />
          </div>
          <button className="button ghost small" type="button" onClick={() => setCreated(null)}>
            I have stored it
          </button>
        </section>
      )}
      <ErrorBanner message={actionError} />
      <ErrorBanner message={problem?.message} onRetry={reload} />
      {loading && !keys && <Loading what="Loading keys" />}
      {keys?.length === 0 && (
        <Empty title="No API keys yet" icon="key">
          Create one above and send it as the X-API-Key header.
        </Empty>
      )}
      {keys?.length > 0 && (
        <div className="card table-card">
          <table className="responsive-table">
            <caption className="sr-only">API keys</caption>
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
                  <td data-label="Name">
                    <strong className="truncate cell-text" title={k.name}>
                      {k.name}
                    </strong>
                  </td>
                  <td data-label="Key">
                    <code>{k.prefix}…</code>
                  </td>
                  <td data-label="Roles">
                    <span className="role-tags">
                      {(k.roles ?? []).map((r) => (
                        <span key={r} className={`role-tag role-${r}`}>
                          {r}
                        </span>
                      ))}
                    </span>
                  </td>
                  <td data-label="Created">{formatTime(k.created_at)}</td>
                  <td data-label="Last used">{k.last_used_at ? timeAgo(k.last_used_at) : 'never'}</td>
                  <td className="actions">
                    {confirming === k.id ? (
                      <span className="confirm" role="group" aria-label={`Delete ${k.name}?`} onKeyDown={closeOnEscape(() => setConfirming(null))}>
                        <span className="small">Delete for good?</span>
                        <button className="button danger small" type="button" onClick={() => remove(k)}>
                          Delete
                        </button>
                        <button className="button secondary small" type="button" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button className="button ghost small" type="button" onClick={() => setConfirming(k.id)} aria-label={`Delete ${k.name}`}>
                        <Icon name="trash" size={14} /> Delete
                      </button>
                    )}
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
