import assert from 'node:assert/strict';
import { ProductCatalogue } from '../../../src/services/knowledge/productCatalogue';
import { loadCarMakes } from '../../../src/services/recognition/carMakes';
import { EntityExtractor } from '../../../src/services/recognition/entityExtractor';
import type { EntityKind, RecognizedEntity } from '../../../src/services/recognition/recognizer';

describe('EntityExtractor', () => {
  let extractor: EntityExtractor;

  before(() => {
    const catalogue = ProductCatalogue.load();
    extractor = new EntityExtractor(
      catalogue.aliasList().map((entry) => ({ alias: entry.alias, value: entry.product.id })),
      loadCarMakes().flatMap((make) => make.aliases.map((alias) => ({ alias, value: make.name }))),
    );
  });

  function only(text: string, kind: EntityKind): RecognizedEntity[] {
    return extractor.extract(text).filter((entity) => entity.kind === kind);
  }

  /** Each entity's text must be exactly the slice of the message its offsets point at. */
  function assertOffsets(text: string, entities: readonly RecognizedEntity[]): void {
    for (const entity of entities) assert.equal(text.slice(entity.start, entity.end), entity.text);
  }

  describe('ticket numbers', () => {
    const cases: Array<[string, string, string]> = [
      ['status of CK-7F3K29Q?', 'CK-7F3K29Q', 'CK-7F3K29Q'],
      ['my ticket ck-a1b2c3d4', 'ck-a1b2c3d4', 'CK-A1B2C3D4'],
      ['where is ck48812345 now', 'ck48812345', 'CK-48812345'],
      ['case CK 55XY8812 any news', 'CK 55XY8812', 'CK-55XY8812'],
      ['CK-ABCDEF', 'CK-ABCDEF', 'CK-ABCDEF'],
    ];
    for (const [text, written, value] of cases) {
      it(`finds "${written}" in "${text}" as ${value}`, () => {
        const entities = only(text, 'ticket_number');

        assert.deepEqual(
          entities.map((entity) => [entity.text, entity.value]),
          [[written, value]],
        );
        assertOffsets(text, entities);
      });
    }

    it('when the letters after "ck" are an ordinary word or too short, it finds no ticket', () => {
      for (const text of ['ck please help', 'ck 12345', 'ck-12345', 'back-1234567']) {
        assert.deepEqual(only(text, 'ticket_number'), [], text);
      }
    });
  });

  describe('phone numbers', () => {
    const cases: Array<[string, string, string]> = [
      ['call me on +44 7700 900123 pls', '+44 7700 900123', '+447700900123'],
      ['my number: (415) 555-0143', '(415) 555-0143', '4155550143'],
      ['0049 151 23456789 is my mobile', '0049 151 23456789', '+4915123456789'],
      ['+86 138 0013 8000', '+86 138 0013 8000', '+8613800138000'],
      ['text 0412 345 678', '0412 345 678', '0412345678'],
    ];
    for (const [text, written, value] of cases) {
      it(`finds "${written}" as ${value}`, () => {
        const entities = only(text, 'phone');

        assert.deepEqual(
          entities.map((entity) => [entity.text, entity.value]),
          [[written, value]],
        );
        assertOffsets(text, entities);
      });
    }

    it('when digits are a version, an address or a count, it finds no phone', () => {
      for (const text of [
        'open 192.168.50.2 in the browser',
        'firmware 2023.10.25',
        'bought 2 in 2023',
        'update stuck at 99%',
        '123456',
      ]) {
        assert.deepEqual(only(text, 'phone'), [], text);
      }
    });
  });

  describe('e-mail addresses', () => {
    it('finds an address anywhere in the message and lower-cases it', () => {
      const text = 'email me at J.Doe+carlinkit@Example.co.uk, thanks';

      const entities = only(text, 'email');

      assert.deepEqual(
        entities.map((entity) => [entity.text, entity.value]),
        [['J.Doe+carlinkit@Example.co.uk', 'j.doe+carlinkit@example.co.uk']],
      );
      assertOffsets(text, entities);
    });
  });

  describe('order numbers', () => {
    const cases: Array<[string, string, string]> = [
      ['amazon order 112-4456789-1234567 arrived broken', '112-4456789-1234567', '112-4456789-1234567'],
      ['aliexpress 8161234567890123', '8161234567890123', '8161234567890123'],
      ['ebay 12-34567-89012', '12-34567-89012', '12-34567-89012'],
      ['bought in your shop, #10234', '#10234', '#10234'],
      ['order number: 5551234', '5551234', '5551234'],
    ];
    for (const [text, written, value] of cases) {
      it(`finds "${written}" in "${text}"`, () => {
        const entities = only(text, 'order_number');

        assert.deepEqual(
          entities.map((entity) => [entity.text, entity.value]),
          [[written, value]],
        );
        assert.deepEqual(only(text, 'phone'), [], 'an order number is not also a phone number');
        assertOffsets(text, entities);
      });
    }
  });

  describe('product models', () => {
    const cases: Array<[string, string, string]> = [
      ['my carlinkit 5.0 wont connect', 'carlinkit 5.0', '2air'],
      ['the 2air keeps dropping', '2air', '2air'],
      ['T Box Plus overheats', 'T Box Plus', 'tbox-plus'],
      ['got the u2w+ last week', 'u2w+', 'u2w-plus'],
      ['is the CPC200-CCPA supported', 'CPC200-CCPA', 'cpc200-ccpa'],
      ['the tbox plus, not the mini', 'tbox plus', 'tbox-plus'],
      ['my carlinkt 4.0 died', 'carlinkt 4.0', 'cpc200-ccpa'],
    ];
    for (const [text, written, value] of cases) {
      it(`finds "${written}" as the catalogue product ${value}`, () => {
        const entities = only(text, 'product_model');

        assert.deepEqual(
          entities.map((entity) => [entity.text, entity.value]),
          [[written, value]],
        );
        assertOffsets(text, entities);
      });
    }

    it('when "5.0" or "3.0" follow bluetooth, usb or version, they are versions, not products', () => {
      for (const text of ['does it need bluetooth 5.0', 'plug it in a usb 3.0 port', 'version 4.0 is out']) {
        assert.deepEqual(only(text, 'product_model'), [], text);
      }
    });
  });

  describe('car makes', () => {
    const cases: Array<[string, string, string]> = [
      ['wont connect in my VW golf', 'VW', 'Volkswagen'],
      ['my Volkswagon tiguan', 'Volkswagon', 'Volkswagen'],
      ['2019 mercedes benz c class', 'mercedes benz', 'Mercedes-Benz'],
      ['hyundia tucson no sound', 'hyundia', 'Hyundai'],
      ['my Toyotta rav4', 'Toyotta', 'Toyota'],
      ['kia sportage', 'kia', 'Kia'],
      ['range rover evoque', 'range rover', 'Land Rover'],
    ];
    for (const [text, written, value] of cases) {
      it(`finds "${written}" as ${value}`, () => {
        const entities = only(text, 'car_make');

        assert.deepEqual(
          entities.map((entity) => [entity.text, entity.value]),
          [[written, value]],
        );
        assertOffsets(text, entities);
      });
    }

    it('when a word only looks like a make (audio, ram memory, a car seat), it finds no car', () => {
      for (const text of [
        'no audio at all',
        'the ai box has 4gb ram',
        'the car seat',
        'for my mini adapter',
      ]) {
        assert.deepEqual(only(text, 'car_make'), [], text);
      }
    });
  });

  it('when a message holds several entities, it returns each once, in text order, without overlaps', () => {
    const text =
      'Tbox UHD in my Audi A4, order 112-4456789-1234567, ticket ck-9ZZ88YY7, call +1 415 555 0199 or mail a@b.com';

    const entities = extractor.extract(text);

    assert.deepEqual(
      entities.map((entity) => entity.kind),
      ['product_model', 'car_make', 'order_number', 'ticket_number', 'phone', 'email'],
    );
    assertOffsets(text, entities);
    for (let index = 1; index < entities.length; index++) {
      assert.ok((entities[index - 1]?.end ?? 0) <= (entities[index]?.start ?? 0));
    }
  });
});
