import { describe, expect, it } from 'vitest';
import { blankForm, conflictRecord, consentOutcome, fieldError, integrationBody, jsonFieldErrors, parseTopics, runCounts } from './integrations.js';

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
    expect(form.config).toEqual({ instance_url: 'https://acme.my.salesforce.com', login_url: '', api_version: '60.0', sync_every: '', deletions: '', mapping: '' });
    expect(form.credentials).toEqual({ client_id: '', client_secret: '' });
    form.config.api_version = '';
    expect(integrationBody(form, { creating: false, integration })).toEqual({ name: 'SF', config: { instance_url: 'https://acme.my.salesforce.com', api_version: null } });
    form.credentials.client_secret = 'new-secret';
    expect(integrationBody(form, { creating: false, integration }).credentials).toEqual({ client_secret: 'new-secret' });
    expect(integrationBody(form, { creating: false, integration }).is_active).toBeUndefined();
    form.is_active = false;
    expect(integrationBody(form, { creating: false, integration }).is_active).toBe(false);
  });

  it('shows a CRM mapping as JSON text, refuses text that does not parse and sends it parsed with the schedule', () => {
    const mapping = { contact: { fields: [{ local: 'email', remote: 'email' }] }, deal: null };
    const integration = { name: 'HS', type: 'hubspot', is_active: true, config: { base_url: 'https://api.hubapi.com', mapping } };
    const form = blankForm('hubspot', integration);
    expect(JSON.parse(form.config.mapping)).toEqual(mapping);
    form.config.mapping = '{"contact": ';
    expect(Object.keys(jsonFieldErrors(form))).toEqual(['config.mapping']);
    form.config.mapping = '{"deal": null}';
    form.config.sync_every = '15m';
    expect(jsonFieldErrors(form)).toEqual({});
    expect(integrationBody(form, { creating: false, integration }).config).toEqual({ base_url: 'https://api.hubapi.com', sync_every: '15m', mapping: { deal: null } });
  });

  it('finds the server\'s message for a field or for the parts inside it', () => {
    const fields = { 'config.sync_every': 'must be a duration', 'config.mapping.contact.fields[0].local': 'must be one of name, email' };
    expect(fieldError(fields, 'config.sync_every')).toBe('must be a duration');
    expect(fieldError(fields, 'config.mapping')).toBe('contact.fields[0].local: must be one of name, email');
    expect(fieldError(fields, 'config.base_url')).toBeUndefined();
  });

  it('reads a sync run\'s counts and a conflict\'s record from the fields present', () => {
    expect(runCounts({ id: 'r1', status: 'completed', pulled: 4, pushed_changes: 0, error: null })).toEqual(['pulled 4', 'pushed changes 0']);
    expect(conflictRecord({ id: 'c1', entity_type: 'deal', record_id: 'D-1' })).toBe('deal D-1');
    expect(conflictRecord({ id: 'c2' })).toBe('c2');
  });
});

describe('consentOutcome', () => {
  const list = [{ id: 'i-sf', name: 'Org Salesforce' }];
  it('reads the outcome Salesforce sent the person back with', () => {
    expect(consentOutcome(new URLSearchParams(''), list)).toBeNull();
    expect(consentOutcome(new URLSearchParams('consent=given&integration=i-sf'), list))
      .toEqual({ ok: true, text: 'Salesforce consent given: Org Salesforce now signs in with its refresh token.' });
    expect(consentOutcome(new URLSearchParams('consent=failed&integration=gone&reason=bad_gateway'), list).text)
      .toBe('The consent for the integration did not complete: bad_gateway. Sign in to Salesforce again to retry.');
  });
});
