// A tab list as the ARIA pattern has it: one Tab stop, arrows (and Home/End) move between the
// tabs and show them. `name` labels the list and prefixes the ids (`${name}-tab-${id}`,
// `${name}-panel-${id}`); the page renders only the chosen tab's panel.
import { useRef } from 'react';
import { useSearchParams } from 'react-router-dom';

export function Tabs({ tabs, current, onChange, name, label }) {
  const refs = useRef({});
  const keyDown = (e) => {
    const index = tabs.findIndex((t) => t.id === current);
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = tabs[(to + tabs.length) % tabs.length];
    onChange(next.id);
    refs.current[next.id]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} onKeyDown={keyDown}>
      {tabs.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[t.id] = el;
          }}
          type="button"
          role="tab"
          id={`${name}-tab-${t.id}`}
          className="tab"
          aria-selected={t.id === current}
          aria-controls={t.id === current ? `${name}-panel-${t.id}` : undefined}
          tabIndex={t.id === current ? 0 : -1}
          onClick={() => onChange(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

// The chosen tab from the address (?tab=), the first one when absent or unknown, and a setter
// that keeps the other parameters.
export function useTabParam(tabs) {
  const [params, setParams] = useSearchParams();
  const current = tabs.some((t) => t.id === params.get('tab')) ? params.get('tab') : tabs[0].id;
  const choose = (id) => {
    if (id === current) return;
    const next = new URLSearchParams(params);
    next.set('tab', id);
    setParams(next);
  };
  return [current, choose];
}

export function TabPanel({ name, current, children }) {
  return (
    <div className="tab-panel" role="tabpanel" id={`${name}-panel-${current}`} aria-labelledby={`${name}-tab-${current}`}>
      {children}
    </div>
  );
}
