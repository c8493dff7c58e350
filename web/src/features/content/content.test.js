import { describe, expect, it } from 'vitest';
import { analysisCaption, checkSummary, contentRequest, rateText, resultsRequest, variantFields, voiceForm, voiceRequest } from './content.js';

const form = {
  kind: 'social_post', network: 'x', product: ' Ledgerly ', audience: 'finance teams', goal: 'close the books faster',
  callToAction: 'Book a demo', facts: 'Bank feeds reconcile nightly\n\n  Works with spreadsheets  \n', variants: '2',
  recipientKind: 'lead', recipientId: '',
};

describe('content helpers', () => {
  it('builds the request from the form: facts one a line, the network only for social posts', () => {
    expect(contentRequest(form)).toEqual({
      kind: 'social_post', network: 'x', variants: 2,
      brief: { product: 'Ledgerly', audience: 'finance teams', goal: 'close the books faster', call_to_action: 'Book a demo',
        facts: ['Bank feeds reconcile nightly', 'Works with spreadsheets'] },
    });
    const email = contentRequest({ ...form, kind: 'email', recipientKind: 'deal', recipientId: ' d-1 ' });
    expect(email.network).toBeUndefined();
    expect(email.deal_id).toBe('d-1');
    expect(contentRequest({ ...form, recipientId: 'l-1' }).lead_id).toBe('l-1');
  });

  it('lists the fields a variant has, in a fixed order', () => {
    expect(variantFields({ body: 'x', description: 'D', headline: 'H', hashtags: ['#a'] })).toEqual([
      { key: 'headline', label: 'Headline', value: 'H' },
      { key: 'description', label: 'Description', value: 'D' },
    ]);
  });

  it('summarises checks with the hard failures first', () => {
    const checks = [
      { name: 'readability', passed: false, severity: 'soft' },
      { name: 'length', passed: true, severity: 'hard' },
      { name: 'claims', passed: false, severity: 'hard' },
    ];
    expect(checkSummary(checks)).toBe('2 of 3 checks failed: claims, readability');
    expect(checkSummary([{ name: 'length', passed: true }])).toBe('All 1 checks passed');
  });

  it('turns the results entry into rows to add, refusing what is not a count', () => {
    expect(resultsRequest([{ sends: '100', opens: '40', clicks: '', conversions: '5' }, { sends: '' }])).toEqual({
      body: { results: [{ variant: 0, sends: 100, opens: 40, conversions: 5 }] },
    });
    expect(resultsRequest([{ sends: '10' }, { sends: '1.5' }])).toEqual({ error: 'Variant 2: sends must be a whole number' });
    expect(resultsRequest([{}, {}])).toEqual({ error: 'Enter some results first' });
  });

  it('writes a rate with its interval', () => {
    expect(rateText({ value: 0.05, interval: [0.03813, 0.06531] })).toBe('5.0 % (3.8–6.5 %)');
    expect(rateText({ value: null, interval: [0, 1] })).toBe('—');
  });

  it('words the analysis with variants numbered from 1', () => {
    const variants = [{ probability_best: 0.97 }, { probability_best: 0.03 }];
    expect(analysisCaption({ enough_data: true, decided: true, leader: 0, variants })).toBe('Variant 1 is best with probability 97.0 %');
    expect(analysisCaption({ enough_data: true, decided: false, leader: 1, variants: [{ probability_best: 0.2 }, { probability_best: 0.8 }] }))
      .toBe('No variant is best with probability 95 % or more yet: variant 2 leads with 80.0 %');
    expect(analysisCaption({ enough_data: false, reason: 'not enough data yet: …', variants })).toBe('not enough data yet: …');
  });

  it('edits the brand voice as text and sends it back as lists', () => {
    const voice = { tone: 'formal', words_to_use: ['reliable', 'clear'], words_to_avoid: ['synergy'], reading_level: 9, examples: ['Dear customer.', 'Thank you.'] };
    const form = voiceForm(voice);
    expect(form).toEqual({ tone: 'formal', wordsToUse: 'reliable, clear', wordsToAvoid: 'synergy', readingLevel: '9', examples: 'Dear customer.\nThank you.' });
    expect(voiceRequest(form)).toEqual(voice);
    expect(voiceRequest({ ...form, wordsToAvoid: ' a ,, b ', examples: '\n' })).toMatchObject({ words_to_avoid: ['a', 'b'], examples: [] });
  });
});
