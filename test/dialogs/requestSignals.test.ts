import { strict as assert } from 'node:assert';
import {
  frustrationIn,
  isGoodbye,
  isLostTicketNumber,
  isTicketCancelRequest,
  ticketNumberIn,
} from '../../src/dialogs/requestSignals';
import { redactQuestion } from '../../src/services/feedback/unansweredQuestions';

describe('Request signals', () => {
  it('when a message names a repair to cancel, it is a ticket cancellation; "cancel", "stop this form" and an order are not', () => {
    assert.equal(isTicketCancelRequest('I want to cancel my repair CK-7K3P9QXA, I fixed it myself'), true);
    assert.equal(isTicketCancelRequest('please cancel my repair ticket'), true);
    assert.equal(isTicketCancelRequest('cancel'), false);
    assert.equal(isTicketCancelRequest('cancel this form'), false);
    assert.equal(isTicketCancelRequest('cancel my order'), false);
  });

  it('when a ticket number is written loosely, it is normalised', () => {
    assert.equal(ticketNumberIn('status of ck 7k3p9qxa please'), 'CK-7K3P9QXA');
    assert.equal(ticketNumberIn('no number here'), undefined);
  });

  it('when a customer is angry, it is told apart from shouting alone and from a calm message', () => {
    assert.equal(frustrationIn('THIRD TIME… I WANT A REFUND'), 'strong');
    assert.equal(frustrationIn('this bot is useless'), 'strong');
    assert.equal(frustrationIn('NO IT STILL DOES NOT WORK'), 'shouting');
    assert.equal(frustrationIn('it keeps disconnecting!!!'), 'shouting');
    assert.equal(frustrationIn('It keeps disconnecting on the highway'), undefined);
    assert.equal(frustrationIn('U2WP22C118834'), undefined);
    assert.equal(frustrationIn('CK-7K3P9QXA STATUS'), undefined);
    assert.equal(frustrationIn('MY CPC200-CCPA U2WP22C118834'), undefined);
  });

  it('when a customer leaves, a goodbye is recognised only as a whole message', () => {
    for (const text of ['bye', 'thanks', "I'll try that later, thanks", 'ok thanks bye', 'talk later'])
      assert.equal(isGoodbye(text), true, text);
    for (const text of ['later this week it stopped', 'thanks to the update it broke', 'Toyota'])
      assert.equal(isGoodbye(text), false, text);
  });

  it('when the ticket number is lost, it is recognised', () => {
    assert.equal(isLostTicketNumber('I lost my ticket number'), true);
    assert.equal(isLostTicketNumber("i don't have the repair number anymore"), true);
    assert.equal(isLostTicketNumber('what is the status of my repair'), false);
  });

  it('when an unanswered question is stored, phones, e-mails, ticket, serial and order numbers are masked', () => {
    const stored = redactQuestion(
      'my U2WP22C118834 from order 112-3456789-1234567, ticket CK-7K3P9QXA, call +1 415 555 0134 or a@b.co',
    );
    assert.doesNotMatch(stored, /U2WP22C118834|3456789|7K3P9QXA|555 0134|a@b\.co/);
    assert.match(stored, /\[number\][\s\S]*\[ticket\][\s\S]*\[phone …34\][\s\S]*\[email\]/);
  });
});
