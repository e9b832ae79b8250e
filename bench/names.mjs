/** Realistic generated names for the bench: block lists of any size, and the query files dnsperf replays. */

/** mulberry32: a small seeded PRNG, so every run and every server sees the very same names. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ba', 'ko', 'ne', 'ti', 'ra', 'mo', 'lu', 'se', 'vi', 'da', 'pe', 'zo', 'ka', 'mi', 'no', 'st', 'tr', 'an', 'el', 'or', 'ix', 'um', 'qu', 'ch', 'sh', 'on', 'ar', 'in', 'et', 'go'];
const TLDS = ['com', 'com', 'com', 'net', 'org', 'cn', 'ru', 'io', 'info', 'xyz', 'top', 'cz', 'de', 'co', 'app', 'online', 'site', 'biz', 'cc', 'me'];
const PREFIXES = ['www', 'api', 'cdn', 'static', 'img', 'mail', 'login', 'app', 'm', 'dl', 'update', 'track', 'ads', 'metrics', 'eu', 'us-east-1'];

function label(r) {
  let s = '';
  const n = 2 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) s += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
  const x = r();
  if (x < 0.15) s += String(Math.floor(r() * 1000));
  else if (x < 0.25) s += `-${SYLLABLES[Math.floor(r() * SYLLABLES.length)]}${SYLLABLES[Math.floor(r() * SYLLABLES.length)]}`;
  return s;
}

/** listNames returns `count` distinct names of realistic depth: mostly registrable domains, some hosts below them. */
export function listNames(count, seed = 1) {
  const r = rng(seed);
  const seen = new Set();
  const out = [];
  const bases = [];
  // Bounded: each round adds a name with overwhelming probability; the cap only guards a broken generator.
  for (let guard = 0; out.length < count && guard < count * 20; guard++) {
    const d = r();
    let name;
    if (d < 0.6 || bases.length === 0) {
      name = `${label(r)}.${TLDS[Math.floor(r() * TLDS.length)]}`;
      bases.push(name);
    } else if (d < 0.9) {
      name = `${PREFIXES[Math.floor(r() * PREFIXES.length)]}.${bases[Math.floor(r() * bases.length)]}`;
    } else {
      name = `${label(r)}.${PREFIXES[Math.floor(r() * PREFIXES.length)]}.${bases[Math.floor(r() * bases.length)]}`;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(name);
  }
  return out;
}

/** sinkholedQueries picks listed names and names below them: every one must be blocked by every server. */
export function sinkholedQueries(list, count, seed = 2) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const base = list[Math.floor(r() * list.length)];
    out.push(r() < 0.5 ? base : `${PREFIXES[Math.floor(r() * PREFIXES.length)]}.${base}`);
  }
  return out;
}
