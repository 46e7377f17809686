// Load generator for bench/: drives one scenario against one provider over keep-alive HTTP
// and prints one JSON object. Endpoints come from the provider's discovery document.
//   node loadgen.mjs --base URL --scenario NAME --duration 10 --concurrency 16 --setup FILE
// With --iterations N the measured run stops after N iterations instead of a duration.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    scenario: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    iterations: { type: 'string' },
    setup: { type: 'string' },
  },
});
const setup = JSON.parse(readFileSync(args.setup, 'utf8'));
const concurrency = Number(args.concurrency);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let requests = 0;

function request(method, url, { headers = {}, form } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        requests += 1;
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const b64url = (buf) => buf.toString('base64url');

function expect(response, status, what) {
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
  return response;
}

function cookieJar(initial) {
  const jar = new Map();
  const add = (line) => {
    const [pair] = line.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1));
  };
  for (const line of initial || []) add(line);
  return {
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    take: (res) => [].concat(res.headers['set-cookie'] || []).forEach(add),
  };
}

const config = JSON.parse((await request('GET', `${args.base}/.well-known/openid-configuration`)).text);
const web = setup.web;
const webAuth = basic(web.client_id, web.client_secret);

// One code flow for a virtual user holding a session: authorize → code → token (→ userinfo).
async function codeFlow(user, withUserinfo) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const query = new URLSearchParams({
    response_type: 'code', client_id: web.client_id, redirect_uri: web.redirect_uri,
    scope: 'openid profile offline_access', state: b64url(randomBytes(8)), nonce: b64url(randomBytes(8)),
    code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent',
  });
  if (user.loginHint) query.set('login_hint', user.loginHint);
  if (!user.interactive) query.delete('prompt');
  let location = `${config.authorization_endpoint}?${query}`;
  for (let hops = 0; hops < 10; hops += 1) {
    const res = await request('GET', new URL(location, args.base).href, { headers: { cookie: user.jar.header() } });
    user.jar.take(res);
    if (![302, 303].includes(res.status)) throw new Error(`authorize: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    location = res.headers.location;
    if (location.startsWith(web.redirect_uri)) break;
  }
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`authorize: no code in ${location}`);
  const token = JSON.parse(expect(await request('POST', config.token_endpoint, {
    headers: { authorization: webAuth },
    form: { grant_type: 'authorization_code', code, redirect_uri: web.redirect_uri, code_verifier: verifier },
  }), 200, 'token').text);
  if (withUserinfo) {
    expect(await request('GET', config.userinfo_endpoint, {
      headers: { authorization: `Bearer ${token.access_token}` },
    }), 200, 'userinfo');
  }
  return token;
}

// CIBA in poll mode (CIBA Core 1.0 §7, §10.1): the backchannel authentication request
// for one person, then token requests every `interval` seconds until the ID token.
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function ciba(user) {
  const { ciba: client } = setup;
  const auth = basic(client.client_id, client.client_secret);
  const started = JSON.parse(expect(await request('POST', config.backchannel_authentication_endpoint, {
    headers: { authorization: auth },
    form: { scope: 'openid profile', login_hint: user.cibaHint, binding_message: 'Bench' },
  }), 200, 'backchannel authentication').text);
  let interval = (started.interval ?? 1) * 1000;
  const deadline = performance.now() + started.expires_in * 1000;
  while (performance.now() < deadline) {
    await sleep(interval);
    const res = await request('POST', config.token_endpoint, {
      headers: { authorization: auth },
      form: { grant_type: CIBA_GRANT, auth_req_id: started.auth_req_id },
    });
    if (res.status === 200) {
      if (!JSON.parse(res.text).id_token) throw new Error('ciba: no id_token');
      return;
    }
    const { error } = JSON.parse(res.text);
    if (error === 'slow_down') interval += 5000;
    else if (error !== 'authorization_pending') throw new Error(`ciba token: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  }
  throw new Error('ciba: expired while pending');
}

const scenarios = {
  discovery: { run: async () => expect(await request('GET', `${args.base}/.well-known/openid-configuration`), 200, 'discovery') },
  jwks: { run: async () => expect(await request('GET', config.jwks_uri), 200, 'jwks') },
  client_credentials: {
    run: async () => expect(await request('POST', config.token_endpoint, {
      headers: { authorization: basic(setup.service.client_id, setup.service.client_secret) },
      form: { grant_type: 'client_credentials', scope: 'api' },
    }), 200, 'client_credentials'),
  },
  introspection: {
    prepare: async (user) => { user.accessToken = (await codeFlow(user, false)).access_token; },
    run: async (user) => {
      const res = expect(await request('POST', config.introspection_endpoint, {
        headers: { authorization: webAuth }, form: { token: user.accessToken },
      }), 200, 'introspection');
      if (!JSON.parse(res.text).active) throw new Error('introspection: inactive');
    },
  },
  refresh: {
    prepare: async (user) => { user.refreshToken = (await codeFlow(user, false)).refresh_token; },
    run: async (user) => {
      const res = expect(await request('POST', config.token_endpoint, {
        headers: { authorization: webAuth },
        form: { grant_type: 'refresh_token', refresh_token: user.refreshToken },
      }), 200, 'refresh');
      user.refreshToken = JSON.parse(res.text).refresh_token;
    },
  },
  code_flow: { run: async (user) => codeFlow(user, true) },
  ciba: { run: async (user) => ciba(user) },
};
// The login scenarios against the reference: a new browser with no session each time,
// through its non-interactive login and consent interactions (server.mjs: the account
// named by login_hint, no credential checked), then code → token → userinfo.
for (const name of ['login_sms', 'login_card', 'login_mobile_id']) {
  scenarios[name] = {
    run: async (user) => {
      user.jar = cookieJar([]);
      user.interactive = true;
      return codeFlow(user, true);
    },
  };
}

const scenario = scenarios[args.scenario];
if (!scenario) throw new Error(`unknown scenario ${args.scenario}`);

// Virtual users: each holds a session (seeded cookie, or a non-interactive login first).
const users = [];
for (let i = 0; i < concurrency; i += 1) {
  const seeded = (setup.sessions || [])[i];
  const user = { jar: cookieJar(seeded ? [seeded] : []), loginHint: `bench-user-${i}`, interactive: !seeded };
  if (setup.ciba) user.cibaHint = setup.ciba.login_hints[i % setup.ciba.login_hints.length];
  if (args.scenario === 'code_flow' || scenario.prepare) {
    if (!seeded) await codeFlow(user, false); // log in once; later flows reuse the session
    user.interactive = false;
  }
  if (scenario.prepare) await scenario.prepare(user);
  users.push(user);
}

async function drive(seconds, record, iterations = Infinity) {
  const stopAt = performance.now() + seconds * 1000;
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let begun = 0;
  await Promise.all(users.map(async (user) => {
    while (performance.now() < stopAt && begun < iterations) {
      begun += 1;
      const started = performance.now();
      try {
        await scenario.run(user);
        if (record) latencies.push(performance.now() - started);
      } catch (error) {
        errors += 1;
        firstError = firstError || String(error.message || error);
        if (scenario.prepare) await scenario.prepare(user).catch(() => {});
      }
    }
  }));
  return { latencies, errors, firstError };
}

await drive(Number(args.warmup), false);
requests = 0;
const started = performance.now();
const { latencies, errors, firstError } = args.iterations
  ? await drive(Infinity, true, Number(args.iterations))
  : await drive(Number(args.duration), true);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
console.log(JSON.stringify({
  scenario: args.scenario,
  elapsed_s: Number(elapsed.toFixed(3)),
  iterations: latencies.length,
  requests,
  errors,
  first_error: firstError,
  requests_per_s: Number((requests / elapsed).toFixed(1)),
  iterations_per_s: Number((latencies.length / elapsed).toFixed(1)),
  p50_ms: pct(0.5) && Number(pct(0.5).toFixed(2)),
  p99_ms: pct(0.99) && Number(pct(0.99).toFixed(2)),
}));
agent.destroy();
