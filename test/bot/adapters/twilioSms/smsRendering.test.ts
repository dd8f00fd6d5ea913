import assert from 'node:assert/strict';
import { CardFactory, MessageFactory, type Activity } from 'botbuilder';
import { renderActivity, renderRepliesAsSms } from '../../../../src/bot/adapters/twilioSms/smsRendering';

describe('SMS rendering of bot replies', () => {
  it('when a turn sends several messages, they become one SMS separated by blank lines; typing and events are dropped', () => {
    const activities: Array<Partial<Activity>> = [
      { type: 'typing' },
      MessageFactory.text('Thanks.'),
      { type: 'event', name: 'handoff' },
      MessageFactory.text('Which car do you drive?'),
    ];
    assert.deepEqual(renderRepliesAsSms(activities), ['Thanks.\n\nWhich car do you drive?']);
  });

  it('when there is nothing to say, there is no SMS', () => {
    assert.deepEqual(renderRepliesAsSms([{ type: 'typing' }]), []);
  });

  it('when the text has Markdown links and emphasis, the phone gets the plain words and the URL', () => {
    assert.equal(
      renderActivity(
        MessageFactory.text('See **the manual**: [setup guide](https://www.carlinkit.com/guide)'),
      ),
      'See the manual: setup guide: https://www.carlinkit.com/guide',
    );
  });

  it('when suggested actions are already listed in the text, they are not listed twice', () => {
    const activity = MessageFactory.suggestedActions(['Yes', 'No'], 'Under warranty?\n1. Yes\n2. No');
    assert.equal(renderActivity(activity), 'Under warranty?\n1. Yes\n2. No');
  });

  it('when an Adaptive Card arrives, its text blocks, facts and actions become lines of text', () => {
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock', text: 'Ticket RMA-1001' },
        {
          type: 'FactSet',
          facts: [
            { title: 'Status', value: 'In repair' },
            { title: 'Model', value: 'CPC200-CCPA' },
          ],
        },
        { type: 'Container', items: [{ type: 'TextBlock', text: 'Expected back in 14 business days.' }] },
        { type: 'Image', url: 'https://example.com/x.png' },
      ],
      actions: [
        { type: 'Action.OpenUrl', title: 'Track', url: 'https://track.example.com/1' },
        { type: 'Action.Submit', title: 'Talk to an agent' },
      ],
    });
    assert.equal(
      renderActivity(MessageFactory.attachment(card)),
      'Ticket RMA-1001\nStatus: In repair\nModel: CPC200-CCPA\nExpected back in 14 business days.\nTrack: https://track.example.com/1\n1. Talk to an agent',
    );
  });

  it('when a file or image is attached by URL, the SMS carries its name and link', () => {
    const activity = MessageFactory.contentUrl(
      'https://www.carlinkit.com/label.pdf',
      'application/pdf',
      'Shipping label',
    );
    assert.equal(renderActivity(activity), 'Shipping label: https://www.carlinkit.com/label.pdf');
  });
});
