import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../src/services/errors';
import { assessWarranty, lastCoveredDay } from '../../../src/services/tickets/warranty';

describe('warranty and cost rules', () => {
  describe('the last covered day', () => {
    const cases: Array<[string, number, string]> = [
      ['2025-03-12', 12, '2026-03-11'],
      ['2025-01-01', 12, '2025-12-31'],
      ['2025-12-31', 12, '2026-12-30'],
      // 29 February has no anniversary: the warranty runs to 28 February (a full year of days).
      ['2024-02-29', 12, '2025-02-28'],
      // 31 January + 1 month: February has no 31st, so cover through the end of February.
      ['2025-01-31', 1, '2025-02-28'],
      ['2025-03-12', 24, '2027-03-11'],
    ];
    for (const [purchase, months, last] of cases) {
      it(`when bought on ${purchase} with ${months} months, then ${last} is the last covered day`, () => {
        assert.equal(lastCoveredDay(purchase, months), last);
      });
    }
  });

  describe('the matrix: in/out of warranty × caused by the customer or not, on both sides of the boundary', () => {
    const purchaseDate = '2025-03-12';
    const lastDay = '2026-03-11';
    const firstDayOut = '2026-03-12';
    const cases: Array<{
      claim: string;
      causedByCustomer: boolean;
      covered: boolean;
      basis: string;
      shipping: string;
      customerPays: { repair: boolean; shippingToCentre: boolean; shippingBack: boolean };
    }> = [
      {
        claim: lastDay,
        causedByCustomer: false,
        covered: true,
        basis: 'in_warranty',
        shipping: 'both_ways',
        customerPays: { repair: false, shippingToCentre: false, shippingBack: false },
      },
      {
        claim: lastDay,
        causedByCustomer: true,
        covered: false,
        basis: 'customer_caused',
        shipping: 'return_only',
        customerPays: { repair: true, shippingToCentre: true, shippingBack: false },
      },
      {
        claim: firstDayOut,
        causedByCustomer: false,
        covered: false,
        basis: 'out_of_warranty',
        shipping: 'return_only',
        customerPays: { repair: true, shippingToCentre: true, shippingBack: false },
      },
      {
        claim: firstDayOut,
        causedByCustomer: true,
        covered: false,
        basis: 'customer_caused',
        shipping: 'return_only',
        customerPays: { repair: true, shippingToCentre: true, shippingBack: false },
      },
      {
        claim: purchaseDate,
        causedByCustomer: false,
        covered: true,
        basis: 'in_warranty',
        shipping: 'both_ways',
        customerPays: { repair: false, shippingToCentre: false, shippingBack: false },
      },
    ];
    for (const testCase of cases) {
      it(`when claimed on ${testCase.claim} and ${testCase.causedByCustomer ? 'caused' : 'not caused'} by the customer, then ${testCase.basis} (${testCase.shipping})`, () => {
        const result = assessWarranty({
          purchaseDate,
          warrantyMonths: 12,
          asOf: testCase.claim,
          causedByCustomer: testCase.causedByCustomer,
          productName: 'CPC200-CCPA',
        });
        assert.equal(result.stage, 'final');
        assert.equal(result.covered, testCase.covered);
        assert.equal(result.basis, testCase.basis);
        assert.equal(result.companyPaysShipping, testCase.shipping);
        assert.deepEqual(result.customerPays, testCase.customerPays);
        assert.equal(result.repairCost, testCase.covered ? 'free' : 'quoted_before_repair');
        assert.equal(result.lastCoveredDay, lastDay);
        assert.equal(result.causedByCustomer, testCase.causedByCustomer);
      });
    }
  });

  describe('the reason the bot says', () => {
    it('when in warranty before inspection, it says until when and that a product fault is free both ways', () => {
      const result = assessWarranty({
        purchaseDate: '2025-03-12',
        warrantyMonths: 12,
        asOf: '2026-03-11',
        productName: 'CPC200-CCPA',
      });
      assert.equal(result.stage, 'preliminary');
      assert.equal(result.covered, true);
      assert.equal(result.causedByCustomer, null);
      assert.equal(
        result.reason,
        'Your CPC200-CCPA was bought on 12 March 2025, so it is under warranty until 11 March 2026. If our inspection finds a product fault not caused by damage or misuse, the repair or replacement is free and CarlinKit pays shipping both ways.',
      );
    });

    it('when out of warranty before inspection, it says when it ended and who pays what', () => {
      const result = assessWarranty({
        purchaseDate: '2025-03-12',
        warrantyMonths: 12,
        asOf: '2026-03-12',
        productName: 'U2W Plus',
      });
      assert.equal(result.covered, false);
      assert.equal(result.basis, 'out_of_warranty');
      assert.match(result.reason, /its 12-month warranty ended on 11 March 2026/);
      assert.match(result.reason, /you pay the shipping to our service centre \(we pay the return\)/);
    });

    it('when the inspection finds customer damage, it says the repair starts after the quote is accepted and paid', () => {
      const result = assessWarranty({
        purchaseDate: '2025-03-12',
        warrantyMonths: 12,
        asOf: '2025-06-01',
        causedByCustomer: true,
      });
      assert.match(result.reason, /caused by damage or misuse/);
      assert.match(result.reason, /once you accept our quote and pay/);
    });
  });

  describe('the claim day in China', () => {
    it('when the claim instant is late on the last day in UTC but already the next day in Shanghai, it is out of warranty', () => {
      // 2026-03-11T16:30Z is 2026-03-12 00:30 in Shanghai: the first day out.
      const result = assessWarranty({
        purchaseDate: '2025-03-12',
        warrantyMonths: 12,
        asOf: new Date('2026-03-11T16:30:00Z'),
      });
      assert.equal(result.claimDate, '2026-03-12');
      assert.equal(result.withinWarrantyPeriod, false);
    });

    it('when the claim instant is 23:59 on the last day in Shanghai, it is still covered', () => {
      const result = assessWarranty({
        purchaseDate: '2025-03-12',
        warrantyMonths: 12,
        asOf: new Date('2026-03-11T15:59:00Z'),
      });
      assert.equal(result.claimDate, '2026-03-11');
      assert.equal(result.withinWarrantyPeriod, true);
    });
  });

  it('when the purchase date is after the claim, impossible, or the months are not whole, it throws a ValidationError', () => {
    assert.throws(
      () => assessWarranty({ purchaseDate: '2026-03-13', warrantyMonths: 12, asOf: '2026-03-12' }),
      ValidationError,
    );
    assert.throws(
      () => assessWarranty({ purchaseDate: '2026-02-30', warrantyMonths: 12, asOf: '2026-03-12' }),
      ValidationError,
    );
    assert.throws(
      () => assessWarranty({ purchaseDate: '2025-03-12', warrantyMonths: 0, asOf: '2026-03-12' }),
      ValidationError,
    );
  });
});
