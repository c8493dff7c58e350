import { describe, expect, it } from 'vitest';
import { blankForm, conflictRecord, integrationBody, parseTopics, runCounts } from './integrations.js';

describe('integrations helpers', () => {
  it('splits topic patterns on commas, spaces and lines, once each', () => {
    expect(parseTopics(' deals.*,leads.scored\n deals.*  * ')).toEqual(['deals.*', 'leads.scored', '*']);
    expect(parseTopics(' , ')).toEqual([]);
  });

  it('builds the create body with the type, the filled config and every credential typed', () => {
    const form = blankForm('email');
    expect(form.config).toEqual({ smtp_url: '', from: '', starttls: 'required' });
    form.name = ' Outbound mail ';
    form.config.smtp_url = 'smtps://mail.example.com:465';
    form.config.from = 'Sales <sales@example.com>';
    form.credentials.username = 'sales';
    expect(integrationBody(form, { creating: true })).toEqual({
      name: 'Outbound mail',
      type: 'email',
      config: { smtp_url: 'smtps://mail.example.com:465', from: 'Sales <sales@example.com>', starttls: 'required' },
      credentials: { username: 'sales' },
    });
  });

  it('builds a PATCH that clears an emptied field, keeps untouched credentials out and never sends the type', () => {
    const integration = { name: 'SF', type: 'salesforce', is_active: true, config: { instance_url: 'https://acme.my.salesforce.com', api_version: '60.0' } };
    const form = blankForm('salesforce', integration);
    expect(form.config).toEqual({ instance_url: 'https://acme.my.salesforce.com', login_url: '', api_version: '60.0' });
    expect(form.credentials).toEqual({ client_id: '', client_secret: '' });
    form.config.api_version = '';
    expect(integrationBody(form, { creating: false, integration })).toEqual({ name: 'SF', config: { instance_url: 'https://acme.my.salesforce.com', api_version: null } });
    form.credentials.client_secret = 'new-secret';
    expect(integrationBody(form, { creating: false, integration }).credentials).toEqual({ client_secret: 'new-secret' });
    expect(integrationBody(form, { creating: false, integration }).is_active).toBeUndefined();
    form.is_active = false;
    expect(integrationBody(form, { creating: false, integration }).is_active).toBe(false);
  });

  it('reads a sync run\'s counts and a conflict\'s record from the fields present', () => {
    expect(runCounts({ id: 'r1', status: 'completed', pulled: 4, pushed_changes: 0, error: null })).toEqual(['pulled 4', 'pushed changes 0']);
    expect(conflictRecord({ id: 'c1', entity_type: 'deal', record_id: 'D-1' })).toBe('deal D-1');
    expect(conflictRecord({ id: 'c2' })).toBe('c2');
  });
});
