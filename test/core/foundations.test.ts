import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PropsValidator, ValidationError } from '../../src/core/errors';
import { longestCronGapMinutes, parseCron, runsPerMonth } from '../../src/core/cron';
import { isRecord, stableJson, valueAt } from '../../src/core/json';
import { IRSA_ROLE_ARN_ANNOTATION, irsaAnnotations } from '../../src/core/labels';
import { isTimeZone, validateTimeZone } from '../../src/core/time';
import { validateHttpUrl } from '../../src/core/url';
import { assertValidationError } from '../support/assert';

const v = (): PropsValidator => new PropsValidator('test/x');

describe('core/cron: the one cron parser', () => {
  it('parses lists, ranges, steps, names and macros, and folds Sunday 7 into 0', () => {
    const f = parseCron('*/15 8-10 1,15 JAN-MAR mon-fri');
    assert.ok(f);
    assert.deepEqual([...f.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...f.hours], [8, 9, 10]);
    assert.deepEqual([...f.daysOfMonth], [1, 15]);
    assert.deepEqual([...f.months], [1, 2, 3]);
    assert.deepEqual([...f.daysOfWeek], [1, 2, 3, 4, 5]);
    assert.deepEqual([...(parseCron('0 0 * * 7')?.daysOfWeek ?? [])], [0]);
    assert.deepEqual(parseCron('@daily'), parseCron('0 0 * * *'));
  });

  it('refuses what is not a five-field schedule', () => {
    for (const bad of ['', '* * * *', '60 * * * *', '* * * * * *', '5-1 * * * *', '*/0 * * * *', '@often']) {
      assert.equal(parseCron(bad), undefined, bad);
    }
  });

  it('counts runs a month as the cost estimate and drift staleness use them', () => {
    assert.equal(runsPerMonth('0 3 * * 1'), 30.4 / 7);
    assert.equal(runsPerMonth('*/15 * * * *'), 4 * 24 * 30.4);
    assert.equal(runsPerMonth('0 2 1 * *'), 1);
    assert.equal(runsPerMonth('0 8 * * 1-5'), 5 * (30.4 / 7));
    // Never a made-up default: a schedule that is not one is a ValidationError.
    assertValidationError(() => runsPerMonth('not cron'), 'cost estimate', "invalid 'schedule' (\"not cron\")", 'must have 5 fields');
  });

  it('finds the longest gap of a schedule over four years', () => {
    assert.equal(longestCronGapMinutes('0 * * * *'), 60);
    assert.equal(longestCronGapMinutes('0 3 * * 1'), 7 * 24 * 60);
    assert.equal(longestCronGapMinutes('0 0 29 2 *'), undefined, 'fires once in 2024-2027');
  });
});

describe('core/json', () => {
  it('reads paths through records only', () => {
    const doc = { spec: { template: { replicas: 3 } }, list: [1] };
    assert.equal(valueAt(doc, 'spec', 'template', 'replicas'), 3);
    assert.equal(valueAt(doc, 'spec', 'missing', 'x'), undefined);
    assert.equal(isRecord(doc.list), false);
    assert.equal(isRecord(null), false);
    assert.equal(stableJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
  });
});

describe('core validators', () => {
  it('IANA time zones', () => {
    assert.equal(isTimeZone('Europe/Berlin'), true);
    assert.equal(isTimeZone(''), false);
    assert.equal(validateTimeZone(v(), 'tz', 'UTC'), 'UTC');
    assertValidationError(() => validateTimeZone(v(), 'schedule.timeZone', 'Mars/Olympus'), 'test/x', "'schedule.timeZone'", 'IANA time zone');
  });

  it('http(s) URLs', () => {
    assert.equal(validateHttpUrl(v(), 'url', 'http://prometheus-operated.monitoring.svc:9090'), 'http://prometheus-operated.monitoring.svc:9090');
    for (const bad of ['ftp://x', 'http://', 'http://host/a b', 'prometheus:9090']) {
      assert.throws(() => validateHttpUrl(v(), 'url', bad), ValidationError, bad);
    }
  });

  it('the IRSA annotation', () => {
    assert.equal(IRSA_ROLE_ARN_ANNOTATION, 'eks.amazonaws.com/role-arn');
    assert.deepEqual(irsaAnnotations('arn:aws:iam::1:role/r'), { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' });
  });
});
