import type { SeededRandom } from '../helpers/seeded-random.js';
import type { RawRequest } from './raw-http.js';
import { AWKWARD, CONTENT_TYPES, ENDPOINTS, GRANT_TYPES, METHODS, ODD_METHODS, PARAMETERS, PLAUSIBLE, type FuzzTargets } from './vocabulary.js';

/** One generated request and what it was aimed at (for the report). */
export interface FuzzRequest extends RawRequest {
  readonly endpoint: string;
}

export class RequestGenerator {
  constructor(
    private readonly random: SeededRandom,
    private readonly targets: FuzzTargets,
  ) {}

  next(): FuzzRequest {
    const r = this.random;
    const [template, naturalMethod] = r.pick(ENDPOINTS);
    const endpoint = this.fill(template);
    const method = r.chance(0.7) ? naturalMethod : r.chance(0.85) ? r.pick(METHODS) : r.pick(ODD_METHODS);
    const queried = template === '/auth' || template === '/session/end' ? 0.8 : 0.25;
    const target = this.spell(endpoint) + (r.chance(queried) ? this.query(template) : '');
    const bodyKind = this.bodyKind(endpoint, method);
    const { body, contentType } = this.body(bodyKind, template);
    const headers = this.headers(endpoint, contentType);
    const framing = r.chance(0.05) ? 'chunked' : r.chance(0.02) ? 'short' : 'length';
    return { endpoint: template, method, target, headers, body, framing, ...(r.chance(0.01) ? { noHost: true } : {}) };
  }

  private fill(template: string): string {
    const r = this.random;
    const t = this.targets;
    return template.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (r.chance(0.25)) return this.junkSegment();
      switch (name) {
        case 'uid': return t.interaction.uid;
        case 'tenant': return r.pick([t.tenantSlug, t.tenantId]);
        case 'client': return r.pick(t.clients).clientId;
        case 'user': return t.userId;
        case 'apiKey': return t.apiKeyId;
        case 'kid': return t.kid;
        default: return this.junkSegment();
      }
    });
  }

  private junkSegment(): string {
    const r = this.random;
    return r.pick([
      () => r.string(r.between(1, 20)),
      () => encodeURIComponentLenient(r.pick(AWKWARD)) || 'x',
      () => r.pick(['%00', '%ff', '%c0%af', '%ED%A0%80', '..', '.', '%2e%2e', '%2F', 'x'.repeat(r.between(200, 3000))]),
      () => r.pick(['security.txt', 'webfinger', 'openid-federation', 'oauth-protected-resource', 'jwks.json', 'change-password']),
    ])();
  }

  /** The same path in another spelling: case, slashes, percent-encoding, dot segments, bytes a URL may not hold. */
  private spell(path: string): string {
    const r = this.random;
    if (r.chance(0.45)) return path;
    let spelled = path;
    const mutations = r.between(1, 3);
    for (let step = 0; step < mutations; step += 1) {
      spelled = r.pick<(p: string) => string>([
        (p) => [...p].map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join(''),
        (p) => p.toUpperCase(),
        (p) => `${p}/`,
        (p) => `${p}//`,
        (p) => p.replace(/\//g, () => (r.chance(0.4) ? '//' : '/')),
        (p) => `/${p}`,
        (p) => [...p].map((c) => (c !== '/' && r.chance(0.3) ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join(''),
        (p) => [...p].map((c) => (c !== '/' && r.chance(0.3) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join(''),
        (p) => p.replace(/\//g, () => (r.chance(0.3) ? '%2F' : '/')),
        (p) => `/x/..${p}`,
        (p) => `/.${p}`,
        (p) => `${p}/.`,
        (p) => `${p}/..`,
        (p) => `/%2e%2e${p}`,
        (p) => `/a/%2e%2e${p}`,
        (p) => `${p}/${'a'.repeat(r.between(1_000, 7_000))}`,
        (p) => `/${'x/'.repeat(r.between(200, 2_000))}..${p}`,
        (p) => `${p}\u0000`,
        (p) => `${p}%00`,
        (p) => `${p}%00.json`,
        (p) => `${p};jsessionid=1`,
        (p) => `${p}#fragment`,
        (p) => p.replace(/\//g, () => (r.chance(0.3) ? '\\' : '/')),
        (p) => `${p}%c0%af`,
        (p) => `${p}%ED%A0%80`,
        (p) => `${p}${latin1OfUtf8('é☃😀')}`,
        (p) => latin1OfUtf8(p.replace(/[a-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))),
        (p) => `${p}${latin1OfUtf8('\u0130')}`,
        (p) => `${p} `,
        (p) => `${p}\t`,
        (p) => `http://127.0.0.1${p}`,
        (p) => `*${p}`,
        (p) => p.replace(/^\//, ''),
      ])(spelled);
    }
    return spelled;
  }

  private query(endpoint: string): string {
    const r = this.random;
    const plausible = PLAUSIBLE[endpoint];
    if (plausible && r.chance(0.6)) return `?${this.formOf(this.spoil(plausible(this.targets, r), endpoint))}`;
    const pairs: string[] = [];
    const count = r.between(1, 6);
    for (let index = 0; index < count; index += 1) {
      const name = r.chance(0.85) ? r.pick(PARAMETERS) : this.junkSegment();
      pairs.push(`${encodeURIComponent(name)}=${this.encodeValue(this.value(name, endpoint))}`);
    }
    if (r.chance(0.1)) pairs.push(r.pick(['%', '%zz', '=', '&&&', 'a=%ED%A0%80', 'a[b]=1', 'a[__proto__][x]=1', '\u0000']));
    return `?${pairs.join('&')}`;
  }

  private encodeValue(value: string): string {
    // Mostly correct encoding; sometimes raw, which leaves bytes a query string may not hold.
    return this.random.chance(0.9) ? encodeURIComponentLenient(value) : latin1OfUtf8(value);
  }

  /** A value for parameter `name`: a real one, a plausible one, or junk. */
  private value(name: string, endpoint: string): string {
    const r = this.random;
    const t = this.targets;
    if (r.chance(0.25)) return this.junkValue();
    switch (name) {
      case 'grant_type': return r.pick(GRANT_TYPES);
      case 'client_id': return r.chance(0.8) ? r.pick(t.clients).clientId : this.junkValue();
      case 'client_secret': return r.pick(t.clients).clientSecret ?? r.string(30);
      case 'scope':
      case 'scopes': return Array.from({ length: r.between(0, 4) }, () => r.pick(t.scopes)).join(' ');
      case 'resource':
      case 'audience': return r.pick(t.audiences);
      case 'token':
      case 'refresh_token':
      case 'subject_token':
      case 'actor_token':
      case 'id_token_hint':
      case 'client_assertion': return r.pick(t.tokens);
      case 'redirect_uri':
      case 'post_logout_redirect_uri': return r.chance(0.6) ? t.redirectUri : r.pick(AWKWARD);
      case 'response_type': return r.pick(['code', 'none', 'token', 'id_token', 'code id_token', '']);
      case 'email': return r.chance(0.6) ? t.email : this.junkValue();
      case 'password': return r.chance(0.3) ? t.password : this.junkValue();
      case 'tenant':
      case 'slug': return r.pick([t.tenantSlug, t.tenantId, r.string(8)]);
      case 'code_challenge_method': return r.pick(['S256', 'plain', '']);
      case 'token_type_hint': return r.pick(['access_token', 'refresh_token', 'api_key', 'x']);
      case 'limit': return r.pick(['1', '100', '0', '-1', '1e9', 'x']);
      default:
        return endpoint.includes('{') ? this.junkValue() : r.chance(0.5) ? r.string(r.between(1, 40)) : this.junkValue();
    }
  }

  private junkValue(): string {
    const r = this.random;
    return r.pick([
      () => r.pick(AWKWARD),
      () => r.string(r.between(0, 64), 'aZ09-._~!$&\'()*+,;=:@/?%#[] \u0000\u00e9\ud800'),
      () => 'a'.repeat(r.pick([256, 4_096, 50_000, 65_536])),
      () => `${'\u0000'.repeat(r.between(1, 8))}${r.string(8)}`,
      () => `eyJ${r.string(r.between(10, 400), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.')}`,
      () => `tg_live_${r.string(r.between(10, 60), 'abcdefghijklmnopqrstuvwxyz0123456789_')}`,
      () => r.pick(this.targets.tokens).slice(0, r.between(1, 60)),
    ])();
  }

  private bodyKind(endpoint: string, method: string): BodyKind {
    const r = this.random;
    if (r.chance(0.15)) return 'none';
    if ((method === 'GET' || method === 'HEAD') && r.chance(0.8)) return 'none';
    if (r.chance(0.15)) return r.pick(['deep-json', 'bytes', 'invalid-utf8', 'huge-form', 'empty'] as const);
    const json = endpoint.startsWith('/admin') ? 0.85 : 0.15;
    return r.chance(json) ? 'json' : 'form';
  }

  private body(kind: BodyKind, endpoint: string): { body: Buffer; contentType: string | undefined } {
    const r = this.random;
    const natural = (type: string) => (r.chance(0.8) ? type : r.pick(CONTENT_TYPES));
    let body: Buffer;
    let contentType: string | undefined;
    switch (kind) {
      case 'none':
        return { body: Buffer.alloc(0), contentType: r.chance(0.2) ? r.pick(CONTENT_TYPES) : undefined };
      case 'empty':
        return { body: Buffer.alloc(0), contentType: r.pick(CONTENT_TYPES) };
      case 'form': {
        const plausible = PLAUSIBLE[endpoint];
        if (plausible && r.chance(0.6)) {
          body = Buffer.from(this.formOf(this.spoil(plausible(this.targets, r), endpoint)), 'latin1');
          contentType = natural('application/x-www-form-urlencoded');
          break;
        }
        const pairs: string[] = [];
        for (let index = r.between(0, 8); index > 0; index -= 1) {
          const name = r.chance(0.9) ? r.pick(PARAMETERS) : this.junkSegment();
          pairs.push(`${encodeURIComponent(name)}=${this.encodeValue(this.value(name, endpoint))}`);
        }
        body = Buffer.from(pairs.join('&'), 'latin1');
        contentType = natural('application/x-www-form-urlencoded');
        break;
      }
      case 'json':
        body = Buffer.from(JSON.stringify(PLAUSIBLE[endpoint] && r.chance(0.6) ? this.spoil(PLAUSIBLE[endpoint](this.targets, r), endpoint) : this.jsonValue(endpoint, 0)));
        contentType = natural('application/json');
        break;
      case 'deep-json': {
        const depth = r.pick([100, 1_000, 10_000, 27_000]);
        body = Buffer.from(r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(Math.min(depth, 9_000))}1${'}'.repeat(Math.min(depth, 9_000))}`);
        contentType = natural('application/json');
        break;
      }
      case 'bytes':
        body = r.bytes(r.between(1, 2_000));
        contentType = r.pick(CONTENT_TYPES);
        break;
      case 'invalid-utf8': {
        const bad = r.pick(['\xff\xfe', '\xc0\xaf', '\xed\xa0\x80', '\xe2\x82', '\xf4\x90\x80\x80', '\x00']);
        const carrier = r.chance(0.5) ? `{"name":"x${bad}y","email":"${bad}@acme.test","scopes":["${bad}"]}` : `client_id=${bad}&grant_type=client_credentials&scope=${bad}&email=${bad}`;
        body = Buffer.from(carrier, 'latin1');
        contentType = carrier.startsWith('{') ? natural('application/json') : natural('application/x-www-form-urlencoded');
        break;
      }
      case 'huge-form':
        body = Buffer.from(`grant_type=client_credentials&scope=${'a'.repeat(r.pick([40_000, 56 * 1024 - 40, 60_000, 70_000]))}`);
        contentType = natural('application/x-www-form-urlencoded');
        break;
    }
    if (r.chance(0.08)) body = body.subarray(0, r.int(body.length + 1));
    return { body, contentType };
  }

  /** Spoils a plausible request, usually in one place: a junk value, a wrong type, a missing or an extra field. */
  private spoil(fields: Record<string, unknown>, endpoint: string): Record<string, unknown> {
    const r = this.random;
    const spoiled = { ...fields };
    const names = Object.keys(spoiled);
    if (r.chance(0.25) || !names.length) return spoiled;
    const name = r.pick(names);
    r.pick<() => void>([
      () => { spoiled[name] = this.junkValue(); },
      () => { spoiled[name] = this.jsonValue(endpoint, 1); },
      () => { spoiled[name] = `${String(spoiled[name])}${r.pick(['\u0000', '\ud800', '%00', '\u202e', ' '])}`; },
      () => { delete spoiled[name]; },
      () => { spoiled[r.pick(PARAMETERS)] = this.junkValue(); },
    ])();
    return spoiled;
  }

  /** Fields as a form (arrays as repeated names, objects as JSON text). */
  private formOf(fields: Record<string, unknown>): string {
    return Object.entries(fields)
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item) => [name, typeof item === 'string' ? item : JSON.stringify(item) ?? ''] as const))
      .map(([name, value]) => `${encodeURIComponentLenient(name)}=${this.encodeValue(value)}`)
      .join('&');
  }

  private jsonValue(endpoint: string, depth: number): unknown {
    const r = this.random;
    if (depth > 3) return r.pick([null, 1, 'x', true]);
    if (depth === 0 || r.chance(0.3)) {
      const object: Record<string, unknown> = {};
      for (let index = r.between(0, 7); index > 0; index -= 1) {
        const name = r.chance(0.9) ? r.pick(PARAMETERS) : r.pick(AWKWARD);
        object[name] = r.chance(0.7) ? this.value(name, endpoint) : this.jsonValue(endpoint, depth + 1);
      }
      return r.chance(0.05) ? [object] : object;
    }
    return r.pick<() => unknown>([
      () => null,
      () => r.pick([0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2]),
      () => r.chance(0.5),
      () => this.junkValue(),
      () => Array.from({ length: r.between(0, 4) }, () => this.jsonValue(endpoint, depth + 1)),
    ])();
  }

  private headers(endpoint: string, contentType: string | undefined): [string, string][] {
    const r = this.random;
    const t = this.targets;
    const headers: [string, string][] = [];
    if (contentType !== undefined) headers.push(['Content-Type', contentType]);
    const forwarded = r.chance(0.85) ? r.pick(t.addresses) : r.pick(['unknown', '::ffff:999.1.1.1', '1.1.1.1, garbage', '[::1]:80', '', ' , , ', '300.1.1.1', `${r.pick(t.addresses)}, 10.0.0.1`, Array.from({ length: 200 }, () => r.pick(t.addresses)).join(', '), 'fe80::1%eth0', '::']);
    headers.push(['X-Forwarded-For', forwarded]);
    if (r.chance(endpoint.startsWith('/admin') ? 0.85 : 0.5)) headers.push(['Authorization', this.authorization(endpoint)]);
    if (r.chance(0.1)) headers.push(['Authorization', this.authorization(endpoint)]);
    if (r.chance(0.1)) headers.push(['DPoP', r.chance(0.5) ? `eyJ${r.string(r.between(10, 300), 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.')}` : r.pick(AWKWARD)]);
    if (endpoint.startsWith('/interaction') || endpoint.startsWith('/session') || endpoint.startsWith('/auth')) {
      if (r.chance(0.6)) headers.push(['Cookie', r.chance(0.7) ? t.interaction.cookie : `_interaction=${r.string(20)}; _session=${r.pick(AWKWARD)}; _interaction.sig=${r.string(27)}`]);
    } else if (r.chance(0.05)) {
      headers.push(['Cookie', `${r.string(5)}=${r.string(10)}`]);
    }
    if (r.chance(0.1)) headers.push(['Origin', r.pick(['https://evil.test', 'null', t.issuer, 'http://127.0.0.1:9', '*'])]);
    if (r.chance(0.1)) headers.push(['Accept', r.pick(['*/*', 'text/html', 'application/json', 'application/jwt', 'image/png', ';;', ''])]);
    if (r.chance(0.1)) headers.push(['X-Request-Id', r.pick(['ok-id', '', 'a'.repeat(200), 'x\u00ffy', '../../etc'])]);
    if (r.chance(0.05)) headers.push(['Idempotency-Key', r.pick([r.string(16), '', 'a'.repeat(1_000), '\u00e9'])]);
    if (r.chance(0.05)) headers.push(['X-Forwarded-Proto', r.pick(['https', 'http', 'gopher', ''])]);
    if (r.chance(0.03)) headers.push(['X-Junk', 'j'.repeat(r.pick([8_000, 14_000, 20_000]))]);
    if (r.chance(0.02)) headers.push(['X-Ctl', r.pick(['a\u0000b', 'a\u0001b', 'a\u007fb', '\u00ff\u00fe'])]);
    if (r.chance(0.02)) headers.push([r.pick(['Bad Name', 'X(y)', '', 'Ä']), 'v']);
    if (r.chance(0.02)) headers.push(['Content-Type', r.pick(CONTENT_TYPES)]);
    return headers;
  }

  private authorization(endpoint: string): string {
    const r = this.random;
    const t = this.targets;
    const client = r.pick(t.clients);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponentLenient(id)}:${encodeURIComponentLenient(secret)}`).toString('base64')}`;
    if (endpoint.startsWith('/admin') && r.chance(0.75)) return `Bearer ${r.pick(t.adminTokens)}`;
    return r.pick<() => string>([
      () => basic(client.clientId, client.clientSecret ?? ''),
      () => basic(client.clientId, client.clientSecret ?? ''),
      () => basic(client.clientId, r.chance(0.5) ? r.string(40) : r.pick(AWKWARD)),
      () => basic(r.chance(0.5) ? r.string(20) : r.pick(AWKWARD), r.string(30)),
      () => `Basic ${r.pick(['', '=', '!!!', 'Og==', 'OjpAOg==', Buffer.from(r.pick(AWKWARD)).toString('base64'), Buffer.from(`a:${'b'.repeat(5_000)}`).toString('base64')])}`,
      () => `Bearer ${r.pick(t.tokens)}`,
      () => `Bearer ${r.pick(AWKWARD)}`,
      () => `DPoP ${r.pick(t.tokens)}`,
      () => `DPoP ${r.string(40)}`,
      () => r.pick(['Basic', 'Bearer', 'bearer  x', 'Negotiate YII=', 'Digest username="x"', '', 'Basic YTpi, Bearer x']),
    ])();
  }
}

type BodyKind = 'none' | 'empty' | 'form' | 'json' | 'deep-json' | 'bytes' | 'invalid-utf8' | 'huge-form';

/** A string's UTF-8 bytes as a latin1 string (one char per byte), for raw request lines. */
function latin1OfUtf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** encodeURIComponent, but lone surrogates become their (invalid) UTF-8 bytes percent-encoded instead of throwing. */
function encodeURIComponentLenient(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.replace(/[\ud800-\udfff]/g, 'SURROGATE').split('SURROGATE').map(encodeURIComponent).join('%ED%A0%80');
  }
}

/** A request shown for a report: endpoint, method, target and headers escaped, body cut short. */
export function describeRequest(request: FuzzRequest, limit = 200): string {
  const show = (text: string, max: number) => JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length})` : text);
  const headers = request.headers.map(([name, value]) => `${name}: ${show(value, limit / 2)}`).join('; ');
  return `${request.endpoint} → ${show(request.method, 20)} ${show(request.target, limit)} [${headers}] framing=${request.framing}${request.noHost ? ' no-host' : ''} body=${show(request.body.toString('latin1'), limit)}`;
}
