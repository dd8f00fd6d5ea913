import { strict as assert } from 'node:assert';
import type { TurnContext } from 'botbuilder';
import { languageOf } from '../../src/dialogs/conversationLanguage';
import type { HumanHandoff } from '../../src/dialogs/ports';
import { BotHarness } from './botHarness';

/** A handoff that records the conversation's language, as the agent queue will receive it. */
function recordingHandoff(languages: string[]): HumanHandoff {
  return {
    request(context: TurnContext): Promise<boolean> {
      languages.push(languageOf(context));
      return Promise.resolve(true);
    },
  };
}

describe('Customers writing in other languages', () => {
  let harness: BotHarness;
  before(async () => {
    harness = await BotHarness.start();
  });
  after(async () => {
    await harness.close();
  });

  it('when a Spanish customer writes, it says in Spanish what it can do, offers a person and the FAQ topics', async () => {
    const chat = harness.chat({ channelId: 'webchat' });

    const replies = await chat.send('Hola, mi adaptador no funciona y necesito ayuda por favor');
    const text = replies.map((reply) => reply.text).join('\n');

    assert.match(text, /asistente de soporte de CarlinKit[\s\S]*una persona/);
    assert.doesNotMatch(text, /didn't quite get that/);
    assert.deepEqual(replies.at(-1)!.buttons.slice(0, 2), ['Hablar con una persona', 'Coste de reparación']);
    assert.ok(replies.at(-1)!.buttons.includes('Continue in English'));
  });

  it('when a Spanish customer texts by SMS, the options are numbered and a number picks the topic', async () => {
    const chat = harness.chat({
      channelId: 'sms',
      userId: '+34600111222',
      channelFacts: { verifiedPhone: '+34600111222' },
    });

    assert.match(
      await chat.say('Hola, mi adaptador no funciona y necesito ayuda por favor'),
      /1\. Hablar con una persona[\s\S]*2\. Coste de reparación/,
    );
    assert.match(await chat.say('2'), /Depende de lo que encuentre nuestro centro de servicio/);
  });

  it('when a German customer asks an FAQ question in their own words, it answers it in German', async () => {
    const chat = harness.chat();

    const answer = await chat.say('Hallo, wie lange dauert die Reparatur bei euch?');

    assert.match(answer, /dauert die Reparatur etwa 14 Werktage/);
  });

  it('when a Spanish customer asks a question in the Spanish menu, it answers it in Spanish, and "agent" reaches a person', async () => {
    const languages: string[] = [];
    const chat = harness.chat({ handoff: recordingHandoff(languages) });
    await chat.say('Hola, mi adaptador no funciona y necesito ayuda por favor');

    assert.match(await chat.say('y cuánto tiempo tarda la reparación?'), /unos 14 días laborables/);
    await chat.say('agent');

    assert.deepEqual(languages, ['es']);
  });

  it('when a French customer picks a topic from the menu, it answers in French', async () => {
    const chat = harness.chat({ channelId: 'webchat' });
    await chat.say('bonjour, mon boîtier ne marche plus depuis hier');

    const answer = await chat.say('Garantie');

    assert.match(answer, /garantie d'un an à partir de la date d'achat/);
    assert.match(answer, /Autre chose \?/);
  });

  it('when a Chinese customer asks about shipping cost, it answers in Chinese', async () => {
    const chat = harness.chat();

    assert.match(await chat.say('你好，维修的运费谁付？'), /CarlinKit 承担往返运费/);
  });

  it('when a Portuguese customer asks for a person, the escalation carries the conversation language', async () => {
    const languages: string[] = [];
    const chat = harness.chat({ handoff: recordingHandoff(languages) });
    await chat.say('olá, meu adaptador não conecta mais no carro');

    const reply = await chat.say('Falar com uma pessoa');

    assert.match(reply, /colocar você em contato com uma pessoa/);
    assert.deepEqual(languages, ['pt']);
  });

  it('when no person can join yet, it says how to reach the team in the customer language', async () => {
    const chat = harness.chat();
    await chat.say('Hola, mi adaptador no funciona y necesito ayuda por favor');

    const reply = await chat.say('quiero hablar con una persona');

    assert.match(reply, /Por ahora nadie del equipo puede unirse[\s\S]*formulario/);
    assert.doesNotMatch(reply, /You can reach/);
  });

  it('when a Spanish sentence starting with "no" answers an English question, it does not take the English "no" path', async () => {
    const chat = harness.chat();
    await chat.answers(['my adapter will not connect', 'U2W Plus', 'Toyota', 'no']);

    const reply = await chat.say('no, no tengo el cable aquí, estoy en el trabajo');

    assert.doesNotMatch(reply, /problem is on the car or phone side/);
    assert.match(reply, /asistente de soporte de CarlinKit/);
  });

  it('when the customer chooses to continue in English, it goes back to the English menu', async () => {
    const chat = harness.chat({ channelId: 'webchat' });
    await chat.say('Hallo, mein Adapter verbindet sich nicht mehr mit dem Auto');

    const reply = await chat.say('Continue in English');

    assert.match(reply, /Gut, dann machen wir auf Englisch weiter[\s\S]*What can I help you with\?/);
  });

  it('when short English answers follow, the conversation stays English', async () => {
    const languages: string[] = [];
    const chat = harness.chat({ handoff: recordingHandoff(languages) });
    await chat.say('ok');
    await chat.say('U2WP22C118834');
    await chat.say('CK-M4T8RW2H');

    await chat.say('agent');

    // Two messages not understood in a row may already have asked for a person: every escalation says English.
    assert.ok(languages.length > 0);
    assert.deepEqual(new Set(languages), new Set(['en']));
  });

  it('when asked a yes/no question, "ja", "oui" and "sí" are understood as yes', async () => {
    for (const yes of ['ja', 'oui', 'sí']) {
      const chat = harness.chat();
      await chat.answers(['there is no sound from my carplay adapter', 'U2W Plus', 'skip', 'No sound']);

      assert.match(await chat.say(yes), /glad it's working again|rate/i, yes);
    }
  });
});
