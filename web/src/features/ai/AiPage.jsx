// The AI page: providers (state, fallback order, keys), usage and cost, prompt templates
// (versions, diff, test run), assistants' tool calls waiting for approval. Four tabs, the
// chosen one in the address (?tab=).
import { useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import { PageHeader } from '../../components/ui.jsx';
import ProvidersSection from './ProvidersSection.jsx';
import UsageSection from './UsageSection.jsx';
import PromptsSection from './PromptsSection.jsx';
import ToolApprovalsSection from './ToolApprovalsSection.jsx';

export const tabs = [
  { id: 'providers', label: 'Providers' },
  { id: 'usage', label: 'Usage' },
  { id: 'prompts', label: 'Prompt templates' },
  { id: 'approvals', label: 'Tool approvals' },
];

// A tab list as the ARIA pattern has it: one Tab stop, arrows (and Home/End) move between the
// tabs and show them. Only the chosen tab's panel is rendered (and controlled).
function Tabs({ current, onChange }) {
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
    <div className="tabs" role="tablist" aria-label="AI" onKeyDown={keyDown}>
      {tabs.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[t.id] = el;
          }}
          type="button"
          role="tab"
          id={`ai-tab-${t.id}`}
          className="tab"
          aria-selected={t.id === current}
          aria-controls={t.id === current ? `ai-panel-${t.id}` : undefined}
          tabIndex={t.id === current ? 0 : -1}
          onClick={() => onChange(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export default function AiPage() {
  const [params, setParams] = useSearchParams();
  const current = tabs.some((t) => t.id === params.get('tab')) ? params.get('tab') : 'providers';
  const choose = (id) => {
    if (id === current) return;
    const next = new URLSearchParams(params);
    next.set('tab', id);
    setParams(next);
  };
  return (
    <>
      <PageHeader title="AI" subtitle="Model providers, usage and cost, the prompt templates agents and workflows use, and tool calls waiting for a person" />
      <Tabs current={current} onChange={choose} />
      <div className="tab-panel" role="tabpanel" id={`ai-panel-${current}`} aria-labelledby={`ai-tab-${current}`}>
        {current === 'providers' && <ProvidersSection />}
        {current === 'usage' && <UsageSection />}
        {current === 'prompts' && <PromptsSection />}
        {current === 'approvals' && <ToolApprovalsSection />}
      </div>
    </>
  );
}
