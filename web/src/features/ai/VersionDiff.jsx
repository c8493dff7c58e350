// Two versions of a prompt side by side in one column: a line diff of their templates (added
// lines "+", removed lines "−", in colour and in words for screen readers) and what changed in
// their variables. Long unchanged stretches fold away, to be opened on demand.
import { useMemo, useState } from 'react';
import { diffStats, lineDiff, withContext } from './diff.js';
import { normalizeVariables } from './prompts.js';

const sign = { added: '+', removed: '−', same: ' ' };
const spoken = { added: 'added', removed: 'removed', same: 'unchanged' };

function DiffLine({ line }) {
  return (
    <li className={`diff-line diff-${line.kind}`}>
      <span className="diff-ln" aria-hidden="true">
        {line.a ?? ''}
      </span>
      <span className="diff-ln" aria-hidden="true">
        {line.b ?? ''}
      </span>
      <span className="diff-sign" aria-hidden="true">
        {sign[line.kind]}
      </span>
      <span className="sr-only">{spoken[line.kind]}: </span>
      <code className="diff-text">{line.text === '' ? ' ' : line.text}</code>
    </li>
  );
}

export function variablesChange(from, to) {
  const a = normalizeVariables(from);
  const b = normalizeVariables(to);
  const out = [];
  for (const v of b) {
    const old = a.find((x) => x.name === v.name);
    if (!old) out.push({ kind: 'added', text: `${v.name} (${v.type})` });
    else if (old.type !== v.type) out.push({ kind: 'changed', text: `${v.name}: ${old.type} → ${v.type}` });
  }
  for (const v of a) if (!b.some((x) => x.name === v.name)) out.push({ kind: 'removed', text: `${v.name} (${v.type})` });
  return out;
}

export default function VersionDiff({ versions }) {
  const sorted = useMemo(() => [...versions].sort((x, y) => x.version - y.version), [versions]);
  const last = sorted[sorted.length - 1]?.version;
  const [fromVersion, setFrom] = useState(sorted.length > 1 ? sorted[sorted.length - 2].version : last);
  const [toVersion, setTo] = useState(last);
  const from = sorted.find((v) => v.version === Number(fromVersion)) ?? sorted[0];
  const to = sorted.find((v) => v.version === Number(toVersion)) ?? sorted[sorted.length - 1];
  const lines = useMemo(() => lineDiff(from?.template ?? '', to?.template ?? ''), [from, to]);
  const shown = useMemo(() => withContext(lines, 3), [lines]);
  const stats = diffStats(lines);
  const variables = variablesChange(from?.variables, to?.variables);
  const [opened, setOpened] = useState({});

  if (sorted.length < 2)
    return (
      <section className="card diff-card" aria-labelledby="diff-title">
        <h3 id="diff-title">Compare versions</h3>
        <p className="muted">There is one version: a second one can be compared with it.</p>
      </section>
    );

  const options = sorted.map((v) => (
    <option key={v.version} value={v.version}>
      version {v.version}
      {v.active ? ' (active)' : ''}
    </option>
  ));
  const summary =
    from.version === to.version
      ? 'The same version on both sides.'
      : stats.added + stats.removed === 0
        ? 'The templates are the same.'
        : `${stats.added} ${stats.added === 1 ? 'line' : 'lines'} added, ${stats.removed} removed.`;

  return (
    <section className="card diff-card" aria-labelledby="diff-title">
      <div className="card-head diff-head">
        <h3 id="diff-title">Compare versions</h3>
        <div className="diff-pickers">
          <div className="field">
            <label htmlFor="diff-from">From</label>
            <select id="diff-from" value={from.version} onChange={(e) => (setFrom(Number(e.target.value)), setOpened({}))}>
              {options}
            </select>
          </div>
          <div className="field">
            <label htmlFor="diff-to">To</label>
            <select id="diff-to" value={to.version} onChange={(e) => (setTo(Number(e.target.value)), setOpened({}))}>
              {options}
            </select>
          </div>
        </div>
      </div>
      <p className="diff-summary" role="status">
        <span className="diff-count diff-count-added">+{stats.added}</span> <span className="diff-count diff-count-removed">−{stats.removed}</span> <span>{summary}</span>
        {lines.approximate && <span className="muted small"> The templates are too long for a line-by-line match: the changed part is shown whole.</span>}
      </p>
      {stats.added + stats.removed > 0 && (
        <ol className="diff" aria-label={`Template changes from version ${from.version} to version ${to.version}`}>
          {shown.map((line, index) =>
            line.kind === 'skip' ? (
              opened[index] ? (
                line.lines.map((l) => <DiffLine key={`${l.a}-${l.b}`} line={l} />)
              ) : (
                <li key={`skip-${index}`} className="diff-skip">
                  <button type="button" className="button link small" onClick={() => setOpened((o) => ({ ...o, [index]: true }))}>
                    Show {line.count} unchanged lines
                  </button>
                </li>
              )
            ) : (
              <DiffLine key={`${line.kind}-${line.a}-${line.b}`} line={line} />
            ),
          )}
        </ol>
      )}
      {from.version !== to.version && (
        <div className="diff-variables">
          <span className="mini-label">Variables</span>
          {variables.length === 0 ? (
            <span className="muted small">unchanged</span>
          ) : (
            <ul className="chips">
              {variables.map((v) => (
                <li key={`${v.kind}-${v.text}`} className={`var-change var-${v.kind}`}>
                  {v.kind === 'added' ? '+ ' : v.kind === 'removed' ? '− ' : '± '}
                  <span className="sr-only">{v.kind}: </span>
                  {v.text}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
