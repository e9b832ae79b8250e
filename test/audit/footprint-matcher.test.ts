/** The footprint matcher: twins by the Public Suffix List, keywords in any label, tracker names and what lies below them. */
import { describe, expect, it } from 'vitest';
import { FootprintMatcher, describeReason } from '../../src/audit/footprint-matcher.js';
import { registrable } from '../../src/audit/registrable.js';

const matcher = new FootprintMatcher({
  listed: [
    { vendor: 'tiktok', list: 'tiktok', domain: 'tiktokcdn-eu.com' },
    { vendor: 'huawei', list: 'huawei', domain: 'dbankcdn.cn' },
    { vendor: 'zte', list: 'zte', domain: 'zte.com.cn' },
    // A subdomain entry says nothing of the registrable label's twins.
    { vendor: 'huawei', list: 'huawei', domain: 'uba.huaweicloud.com' },
  ],
  keywords: [
    { vendor: 'tiktok', keyword: 'tiktok' },
    { vendor: 'tiktok', keyword: 'bytedance' },
  ],
  tracked: [{ vendor: 'tiktok', tracker: 'native.tiktok.txt', name: 'log.byteoversea.com' }],
});

describe('registrable', () => {
  it.each([
    ['cdn.tiktokcdn-eu.net', { domain: 'tiktokcdn-eu.net', label: 'tiktokcdn-eu', suffix: 'net' }],
    ['zte.com.cn', { domain: 'zte.com.cn', label: 'zte', suffix: 'com.cn' }],
    ['www.bbc.co.uk', { domain: 'bbc.co.uk', label: 'bbc', suffix: 'co.uk' }],
    // Private suffixes are shared services: the name belongs to the service, not to its tenant.
    ['p16-tiktokcdn-com.akamaized.net', { domain: 'akamaized.net', label: 'akamaized', suffix: 'net' }],
  ])('%s', (name, want) => {
    expect(registrable(name)).toEqual(want);
  });

  it('has none for a public suffix or an address', () => {
    expect(registrable('com.cn')).toBeNull();
    expect(registrable('192.0.2.1')).toBeNull();
  });
});

describe('FootprintMatcher', () => {
  it('finds the twin of a listed name under another public suffix, for the name and names below it', () => {
    expect(matcher.match('tiktokcdn-eu.net')).toContainEqual({ kind: 'twin', vendor: 'tiktok', listed: 'tiktokcdn-eu.com', list: 'tiktok' });
    expect(matcher.match('dbankcdn.ru')).toEqual([{ kind: 'twin', vendor: 'huawei', listed: 'dbankcdn.cn', list: 'huawei' }]);
    expect(matcher.match('www.zte.ru')).toEqual([{ kind: 'twin', vendor: 'zte', listed: 'zte.com.cn', list: 'zte' }]);
  });

  it('gives no twin for the listed registrable domain itself (the policy decides it) nor for a subdomain entry', () => {
    expect(matcher.match('zte.com.cn')).toEqual([]);
    expect(matcher.match('img.dbankcdn.cn')).toEqual([]);
    expect(matcher.match('huaweicloud.eu')).toEqual([]);
  });

  it('finds a keyword in any label, also under a shared CDN', () => {
    expect(matcher.match('business-tiktok.com')).toEqual([{ kind: 'keyword', vendor: 'tiktok', keyword: 'tiktok', label: 'business-tiktok' }]);
    expect(matcher.match('tiktokv.com.edgekey.net')).toEqual([{ kind: 'keyword', vendor: 'tiktok', keyword: 'tiktok', label: 'tiktokv' }]);
    expect(matcher.match('bytedance.net')[0]).toMatchObject({ kind: 'keyword', keyword: 'bytedance' });
  });

  it('names one keyword reason per vendor', () => {
    expect(matcher.match('tiktok-bytedance.org').filter((r) => r.kind === 'keyword')).toHaveLength(1);
  });

  it('attributes a tracker name and the names below it, not the names above it', () => {
    expect(matcher.match('log.byteoversea.com')).toEqual([{ kind: 'tracker', vendor: 'tiktok', tracker: 'native.tiktok.txt', entry: 'log.byteoversea.com' }]);
    expect(matcher.match('eu.log.byteoversea.com')).toEqual([{ kind: 'tracker', vendor: 'tiktok', tracker: 'native.tiktok.txt', entry: 'log.byteoversea.com' }]);
    expect(matcher.match('byteoversea.com')).toEqual([]);
  });

  it('finds nothing in an unrelated name', () => {
    expect(matcher.match('example.org')).toEqual([]);
    expect(matcher.match('tiktak.com')).toEqual([]);
  });

  it('says each reason in words', () => {
    expect(matcher.match('tiktokcdn-eu.net').map(describeReason)).toEqual(["twin of tiktokcdn-eu.com (list tiktok)", "keyword 'tiktok' in label 'tiktokcdn-eu'"]);
  });
});
