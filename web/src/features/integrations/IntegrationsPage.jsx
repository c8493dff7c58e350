// The Integrations page: outbound webhook subscriptions with their delivery logs, and the
// connected vendor integrations with test, sync and conflicts. Two tabs, the chosen one in the
// address (?tab=).
import { PageHeader } from '../../components/ui.jsx';
import { TabPanel, Tabs, useTabParam } from '../../components/Tabs.jsx';
import WebhooksSection from './WebhooksSection.jsx';
import IntegrationsSection from './IntegrationsSection.jsx';

export const tabs = [
  { id: 'webhooks', label: 'Webhook subscriptions' },
  { id: 'connected', label: 'Connected integrations' },
];

export default function IntegrationsPage() {
  const [current, choose] = useTabParam(tabs);
  return (
    <>
      <PageHeader title="Integrations" subtitle="Events sent to other systems as signed webhooks, and the CRM, project and messaging tools the agents work with" />
      <Tabs tabs={tabs} current={current} onChange={choose} name="integrations" label="Integrations" />
      <TabPanel name="integrations" current={current}>
        {current === 'webhooks' && <WebhooksSection />}
        {current === 'connected' && <IntegrationsSection />}
      </TabPanel>
    </>
  );
}
