// Drives Madina's Open311 server with the npm package open311 (Code for
// America's Node.js client), as a third-party application would:
//
//   node open311_client.js BASE_URL API_KEY
//
// and prints one JSON object of what the client got back, which
// TestRealOpen311Client checks. The client speaks JSON here (its XML
// parsers cannot be installed: see scripts/open311-no-xml).
'use strict';
const Open311 = require('open311');

const [base, apiKey] = process.argv.slice(2);
const out = {};
const client = new Open311({ endpoint: base + '/open311/v2/', jurisdiction: 'casablanca', apiKey: apiKey });
const stranger = new Open311({ endpoint: base + '/open311/v2/', jurisdiction: 'casablanca', apiKey: 'o311_not-a-key' });
const abroad = new Open311({ endpoint: base + '/open311/v2/', jurisdiction: 'rabat', apiKey: apiKey });
const discovery = new Open311({ discovery: base + '/open311/v2/discovery.json' });

// step turns a node-style call into a promise of [err, data].
function step(f) {
  return new Promise((resolve) => f((err, data) => resolve([err, data])));
}

(async () => {
  let [err, data] = await step((cb) => discovery.serviceDiscovery(cb));
  out.discovery = { err: err || null, specification: data && data.endpoints && data.endpoints[0].specification };

  [err, data] = await step((cb) => client.serviceList(cb));
  out.services = { err: err || null, codes: (data || []).map((s) => s.service_code) };

  [err, data] = await step((cb) => client.serviceDefinition('lighting', cb));
  out.definition = { err: err || null, attributes: ((data && data.attributes) || []).map((a) => a.code) };

  const report = {
    service_code: 'lighting',
    lat: 33.5795,
    long: -7.529,
    description: 'Lampadaire éteint devant l\'école, rue 12. Mon numéro : 0661234567',
    first_name: 'Youssef',
    last_name: 'Amrani',
    email: 'youssef@example.ma',
    attributes: { arrondissement: 'sidi-moumen', pole: 'SM-2231' },
  };
  [err, data] = await step((cb) => client.submitRequest(report, cb));
  out.submit = { err: err || null, answer: data || null };
  const posted = (data && data[0]) || {};

  [err, data] = await step((cb) => client.token(posted.token, cb));
  out.token = { err: err || null, answer: data || null };

  [err, data] = await step((cb) => client.serviceRequest(posted.service_request_id, cb));
  out.request = { err: err || null, answer: data || null };

  [err, data] = await step((cb) => client.serviceRequests({ service_code: 'lighting', status: 'open' }, cb));
  out.open = { err: err || null, ids: (data || []).map((r) => r.service_request_id) };

  // Refusals: a wrong key, an attribute the definition does not have, a
  // malformed latitude, an unknown service, another jurisdiction.
  [err, data] = await step((cb) => stranger.submitRequest(report, cb));
  out.wrongKey = { err: err || null, body: data || null };
  [err, data] = await step((cb) => client.submitRequest(Object.assign({}, report, { attributes: { arrondissement: 'sidi-moumen', colour: 'red' } }), cb));
  out.badAttribute = { err: err || null, body: data || null };
  [err, data] = await step((cb) => client.submitRequest(Object.assign({}, report, { lat: 'north' }), cb));
  out.badLat = { err: err || null, body: data || null };
  [err, data] = await step((cb) => client.submitRequest(Object.assign({}, report, { service_code: 'ufo' }), cb));
  out.badService = { err: err || null, body: data || null };
  [err, data] = await step((cb) => abroad.submitRequest(report, cb));
  out.abroad = { err: err || null, body: data || null };

  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e));
  process.exit(1);
});
