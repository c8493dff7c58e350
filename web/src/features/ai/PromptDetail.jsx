// One prompt template: its versions (activate one; add one), the template of the version
// shown, a diff between two versions, and a test run of the version shown.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { ErrorBanner, Empty, Loading, formatTime, shortId, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { Badge } from './parts.jsx';
import PromptForm from './PromptForm.jsx';
import TestRun from './TestRun.jsx';
import VersionDiff from './VersionDiff.jsx';
import { normalizeVariables } from './prompts.js';

function VariableChips({ variables }) {
  const list = normalizeVariables(variables);
  if (!list.length) return <span className="muted small">none</span>;
  return (
    <ul className="chips">
      {list.map((v) => (
        <li key={v.name}>
          {v.name}
          <span className="chip-type">: {v.type}</span>
        </li>
      ))}
    </ul>
  );
}

export default function PromptDetail({ id, canManage, canRun, onUpdated, focusTitle = false, onFocused = () => {} }) {
  const user = useSelector((s) => s.auth.user);
  const load = useCallback(async () => (await api.get(`/prompts/${encodeURIComponent(id)}`)).data, [id]);
  const { data: prompt, setData, problem, loading, reload } = useResource(load);
  const [shownVersion, setShownVersion] = useState(null);
  const [versioning, setVersioning] = useState(false);
  const [notice, setNotice] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [activating, setActivating] = useState(null);
  const title = useRef(null);
  const ready = prompt?.id === id;
  // A prompt just created: the focus goes to it (the form it came from is gone).
  useEffect(() => {
    if (ready && focusTitle) {
      title.current?.focus();
      onFocused();
    }
  }, [ready, focusTitle]); // eslint-disable-line react-hooks/exhaustive-deps

  if (problem?.status === 404)
    return (
      <Empty title="This prompt does not exist" icon="sparkle">
        It may have been deleted. Choose another one from the list.
      </Empty>
    );
  if (!prompt || prompt.id !== id) return problem ? <ErrorBanner message={problem.message} onRetry={reload} /> : loading ? <Loading what="Loading the prompt" /> : null;

  const versions = [...(prompt.versions ?? [])].sort((a, b) => b.version - a.version);
  const active = versions.find((v) => v.active) ?? versions.find((v) => v.version === prompt.active_version);
  const shown = versions.find((v) => v.version === shownVersion) ?? active ?? versions[0];

  const updated = (next, message) => {
    setData(next);
    setNotice(message);
    setActionError(null);
    onUpdated(next);
  };
  const activate = async (version) => {
    setActivating(version);
    try {
      const { data } = await api.post(`/prompts/${encodeURIComponent(id)}/activate`, { version });
      updated(data, `Version ${version} is now the active version.`);
      setTimeout(() => title.current?.focus(), 0); // its Activate button is gone
    } catch (err) {
      setActionError(problemOf(err).message);
    } finally {
      setActivating(null);
    }
  };
  const who = (userId) => (!userId ? '—' : userId === user?.id ? 'you' : shortId(userId));

  return (
    <div className="prompt-detail">
      <section className="card prompt-summary" aria-labelledby="prompt-title">
        <div className="prompt-summary-head">
          <h2 id="prompt-title" className="mono prompt-name" title={prompt.name} ref={title} tabIndex={-1}>
            {prompt.name}
          </h2>
          {active && <Badge tone="ok">version {active.version} active</Badge>}
        </div>
        {prompt.description ? <p className="prompt-desc">{prompt.description}</p> : <p className="muted small">No description.</p>}
        <dl className="facts compact">
          <div>
            <dt>Versions</dt>
            <dd>{versions.length}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd title={formatTime(prompt.created_at)}>{timeAgo(prompt.created_at)}</dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd title={formatTime(prompt.updated_at)}>{timeAgo(prompt.updated_at)}</dd>
          </div>
        </dl>
        {canManage && !versioning && (
          <div className="row">
            <button type="button" className="button secondary small" onClick={() => setVersioning(true)}>
              <Icon name="plus" size={14} /> New version
            </button>
          </div>
        )}
      </section>

      <div role="status" className="status-slot">
        {notice && (
          <div className="notice notice-ok">
            <Icon name="check" size={14} /> {notice}
          </div>
        )}
      </div>
      <ErrorBanner message={actionError} />

      {versioning && (
        <PromptForm
          mode="version"
          prompt={prompt}
          initial={shown}
          onCancel={() => {
            setVersioning(false);
            setTimeout(() => title.current?.focus(), 0);
          }}
          onSaved={(next, { activated }) => {
            const newest = Math.max(...(next.versions ?? []).map((v) => v.version));
            setVersioning(false);
            setShownVersion(newest);
            updated(next, `Version ${newest} saved${activated ? ' and active' : ' (not active)'}.`);
            setTimeout(() => title.current?.focus(), 0);
          }}
        />
      )}

      <section className="card table-card versions-card" aria-labelledby="versions-title">
        <h3 id="versions-title" className="table-title">
          Versions
        </h3>
        <table className="responsive-table">
          <caption className="sr-only">Versions of {prompt.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Variables</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} className={v.version === shown?.version ? 'is-shown' : undefined}>
                <td data-label="Version">
                  <strong>version {v.version}</strong>
                </td>
                <td data-label="State">{v.active ? <Badge tone="ok">active</Badge> : <span className="muted small">inactive</span>}</td>
                <td data-label="Variables" className="wrap-cell">
                  <VariableChips variables={v.variables} />
                </td>
                <td data-label="Created">
                  <span>
                    <span title={formatTime(v.created_at)}>{timeAgo(v.created_at)}</span> <span className="muted small">by {who(v.created_by)}</span>
                  </span>
                </td>
                <td className="actions">
                  {v.version !== shown?.version && (
                    <button type="button" className="button ghost small" onClick={() => setShownVersion(v.version)} aria-label={`Show version ${v.version}`}>
                      Show
                    </button>
                  )}
                  {canManage && !v.active && (
                    <button type="button" className="button secondary small" disabled={activating !== null} onClick={() => activate(v.version)} aria-label={`Activate version ${v.version}`}>
                      {activating === v.version ? 'Activating…' : 'Activate'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {shown && (
        <section className="card template-card" aria-labelledby="template-title">
          <div className="card-head">
            <h3 id="template-title">Template</h3>
            <div className="field inline-select">
              <label htmlFor="shown-version" className="sr-only">
                Version shown
              </label>
              <select id="shown-version" value={shown.version} onChange={(e) => setShownVersion(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    version {v.version}
                    {v.active ? ' (active)' : ''}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <pre className="template-text" aria-label={`Template of version ${shown.version}`} tabIndex={0}>
            {shown.template}
          </pre>
          <div className="template-vars">
            <span className="mini-label">Variables</span>
            <VariableChips variables={shown.variables} />
          </div>
        </section>
      )}

      <VersionDiff key={versions.length} versions={versions} />

      {shown && <TestRun prompt={prompt} version={shown} canRun={canRun} />}
    </div>
  );
}
