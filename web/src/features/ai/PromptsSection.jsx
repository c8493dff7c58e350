// Prompt templates: the list (cursor paging), a new prompt (managers and admins), and the
// chosen prompt's detail. The chosen prompt is in the address (?prompt=<id>).
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSelector } from 'react-redux';
import { useSearchParams } from 'react-router-dom';
import { api, problemOf } from '../../services/api.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Loading, formatTime, timeAgo } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import PromptDetail from './PromptDetail.jsx';
import PromptForm from './PromptForm.jsx';

const pageSize = 50;

function usePromptList() {
  const [state, setState] = useState({ items: [], next: null, loading: true, more: false, problem: null });
  const generation = useRef(0);
  const load = useCallback(async (cursor = null) => {
    const mine = cursor ? generation.current : ++generation.current;
    setState((s) => ({ ...s, loading: !cursor, more: !!cursor }));
    try {
      const { data } = await api.get('/prompts', { params: cursor ? { limit: pageSize, cursor } : { limit: pageSize } });
      if (mine !== generation.current) return;
      setState((s) => ({ items: cursor ? [...s.items, ...(data.items ?? [])] : data.items ?? [], next: data.next_cursor ?? null, loading: false, more: false, problem: null }));
    } catch (e) {
      if (mine !== generation.current) return;
      setState((s) => ({ ...s, loading: false, more: false, problem: problemOf(e) }));
    }
  }, []);
  useEffect(() => {
    load();
    return () => {
      generation.current++;
    };
  }, [load]);
  // A prompt created or changed here, shown at once.
  const upsert = useCallback((p) => {
    const item = { ...p };
    delete item.versions;
    setState((s) => ({ ...s, items: s.items.some((x) => x.id === p.id) ? s.items.map((x) => (x.id === p.id ? item : x)) : [item, ...s.items] }));
  }, []);
  return { ...state, reload: () => load(), loadMore: () => load(state.next), upsert };
}

export default function PromptsSection() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'managePrompts');
  const canRun = allowed(user, 'runTasks');
  const [params, setParams] = useSearchParams();
  const selected = params.get('prompt');
  const list = usePromptList();
  const [creating, setCreating] = useState(false);
  const [focusTitle, setFocusTitle] = useState(false);
  const detail = useRef(null);
  const newButton = useRef(null);

  const choose = (id) => {
    const next = new URLSearchParams(params);
    if (id) next.set('prompt', id);
    else next.delete('prompt');
    setParams(next);
    // On a narrow screen the detail is under the list: bring it into view.
    const media = (query) => !!window.matchMedia?.(query).matches;
    if (media('(max-width: 900px)'))
      setTimeout(() => detail.current?.scrollIntoView?.({ block: 'start', behavior: media('(prefers-reduced-motion: reduce)') ? 'auto' : 'smooth' }), 0);
  };

  const unavailable = list.problem?.status === 404 || list.problem?.status === 501;
  if (unavailable) return <Empty title="Prompt templates are not available on this server yet" icon="sparkle" />;

  return (
    <section aria-labelledby="prompts-title">
      <div className="section-bar">
        <h2 id="prompts-title">Prompt templates</h2>
        {canManage && !creating && (
          <button ref={newButton} type="button" className="button primary" onClick={() => setCreating(true)}>
            <Icon name="plus" size={16} /> New prompt
          </button>
        )}
      </div>
      {creating && (
        <PromptForm
          mode="create"
          onCancel={() => {
            setCreating(false);
            setTimeout(() => newButton.current?.focus(), 0);
          }}
          onSaved={(prompt) => {
            setCreating(false);
            setFocusTitle(true);
            list.upsert(prompt);
            choose(prompt.id);
          }}
        />
      )}
      <ErrorBanner message={list.problem?.message} onRetry={list.reload} />
      {list.loading && list.items.length === 0 && <Loading what="Loading the prompts" />}
      {!list.loading && !list.problem && list.items.length === 0 && (
        <Empty title="No prompt templates yet" icon="sparkle">
          {canManage ? 'Create one with New prompt: a text with {{placeholders}} and typed variables.' : 'Managers and admins can create them.'}
        </Empty>
      )}
      {list.items.length > 0 && (
        <div className="prompt-layout">
          <nav className="card prompt-list-card" aria-label="Prompt templates">
            <ul className="prompt-list">
              {list.items.map((p) => (
                <li key={p.id}>
                  <button type="button" className={`prompt-item${p.id === selected ? ' active' : ''}`} aria-current={p.id === selected ? 'true' : undefined} onClick={() => choose(p.id)}>
                    <span className="prompt-item-top">
                      <span className="prompt-item-name mono" title={p.name}>
                        {p.name}
                      </span>
                      <span className="version-tag">v{p.active_version}</span>
                    </span>
                    {p.description && (
                      <span className="prompt-item-desc" title={p.description}>
                        {p.description}
                      </span>
                    )}
                    <span className="muted small" title={formatTime(p.updated_at)}>
                      updated {timeAgo(p.updated_at)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
            {list.next && (
              <button type="button" className="button ghost small load-more" onClick={list.loadMore} disabled={list.more}>
                {list.more ? 'Loading…' : 'Load more'}
              </button>
            )}
          </nav>
          <div className="prompt-main" ref={detail}>
            {selected ? (
              <PromptDetail key={selected} id={selected} canManage={canManage} canRun={canRun} onUpdated={list.upsert} focusTitle={focusTitle} onFocused={() => setFocusTitle(false)} />
            ) : (
              <Empty title="Choose a prompt" icon="sparkle">
                Its versions, a diff between two of them and a test run appear here.
              </Empty>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
