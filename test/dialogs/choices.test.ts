import { strict as assert } from 'node:assert';
import { matchChoice, yesNoChoices, type ChoiceSpec } from '../../src/dialogs/choices';

const symptoms: ChoiceSpec[] = [
  { value: 'connection', label: 'Connection', synonyms: ['connect'] },
  { value: 'audio', label: 'Sound', synonyms: ['audio'] },
  { value: 'display', label: 'Screen' },
];

describe('matchChoice', () => {
  const yesNo: Array<[string, string | undefined]> = [
    ['1', 'yes'],
    ['2', 'no'],
    ['yes', 'yes'],
    ['Yes!', 'yes'],
    ['y', 'yes'],
    ['n', 'no'],
    ['No.', 'no'],
    ['nope', 'no'],
    ['yes it did', 'yes'],
    ['no, still nothing', 'no'],
    ['#1', 'yes'],
    ['3', undefined],
    ['maybe', undefined],
    ['', undefined],
    ['not sure', undefined],
  ];
  for (const [input, expected] of yesNo) {
    it(`when a yes/no question gets "${input}", it picks ${expected ?? 'nothing'}`, () => {
      assert.equal(matchChoice(input, yesNoChoices()), expected);
    });
  }

  const named: Array<[string, string | undefined]> = [
    ['sound', 'audio'],
    ['SCREEN', 'display'],
    ['3', 'display'],
    ['audio', 'audio'],
    ['connect', 'connection'],
    ['a screen problem', undefined],
  ];
  for (const [input, expected] of named) {
    it(`when a list gets "${input}", it picks ${expected ?? 'nothing'}`, () => {
      assert.equal(matchChoice(input, symptoms), expected);
    });
  }

  it('when a card is submitted, it picks the value in the card data, not the text', () => {
    assert.equal(matchChoice(undefined, symptoms, { choice: 'audio' }), 'audio');
    assert.equal(matchChoice('', symptoms, { choice: 'unknown-value' }), undefined);
  });
});
