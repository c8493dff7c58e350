// The AI page: providers (state, fallback order, keys), usage and cost, prompt templates
// (versions, diff, test run), assistants' tool calls waiting for approval. Four tabs, the
// chosen one in the address (?tab=).
import { PageHeader } from '../../components/ui.jsx';
import { TabPanel, Tabs, useTabParam } from '../../components/Tabs.jsx';
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

export default function AiPage() {
  const [current, choose] = useTabParam(tabs);
  return (
    <>
      <PageHeader title="AI" subtitle="Model providers, usage and cost, the prompt templates agents and workflows use, and tool calls waiting for a person" />
      <Tabs tabs={tabs} current={current} onChange={choose} name="ai" label="AI" />
      <TabPanel name="ai" current={current}>
        {current === 'providers' && <ProvidersSection />}
        {current === 'usage' && <UsageSection />}
        {current === 'prompts' && <PromptsSection />}
        {current === 'approvals' && <ToolApprovalsSection />}
      </TabPanel>
    </>
  );
}
