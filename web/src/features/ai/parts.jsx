// Small pieces shared by the AI page's sections.

// A state as text and colour (never colour alone).
export function Badge({ tone = 'neutral', children, className = '' }) {
  return (
    <span className={`badge tone-${tone} ${className}`}>
      <span className="badge-dot" aria-hidden="true" />
      {children}
    </span>
  );
}

// Text that may be long (a URL, a model name): one line, cut with an ellipsis, whole in the
// tooltip and for screen readers.
export function Truncated({ text, className = '', as: Tag = 'span' }) {
  if (text === null || text === undefined || text === '') return <span className="muted">—</span>;
  return (
    <Tag className={`truncate ${className}`} title={String(text)}>
      {String(text)}
    </Tag>
  );
}

// Problems the form cannot put next to a field.
export function OtherProblems({ errors }) {
  const entries = Object.entries(errors ?? {});
  if (!entries.length) return null;
  return (
    <ul className="problem-summary">
      {entries.map(([field, message]) => (
        <li key={field}>
          <code>{field}</code>: {message}
        </li>
      ))}
    </ul>
  );
}
