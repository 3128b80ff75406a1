// HTTP + SSE load from Node: SESSIONS TypeScript clients (HttpSseTransport), each sending
// REQUESTS sequential `thread/loaded/list` requests; then the same concurrency on GET /healthz.
// Usage: node ts_http_load.mjs URL TOKEN SESSIONS REQUESTS. Prints one JSON line.
const [url, token, sessionsArg, requestsArg] = process.argv.slice(2);
const sessions = Number(sessionsArg);
const requests = Number(requestsArg);
const { AppServerClient, HttpSseTransport } = await import(new URL("../bindings/typescript/dist/src/index.js", import.meta.url));

const latencies = [];
const clients = await Promise.all(
  Array.from({ length: sessions }, () =>
    AppServerClient.connect({
      transport: new HttpSseTransport({ baseUrl: url, token }),
      clientInfo: { name: "bench", version: "1" },
      capabilities: { experimentalApi: true },
    }),
  ),
);
let start = performance.now();
await Promise.all(
  clients.map(async (client) => {
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      await client.request("thread/loaded/list", {});
      latencies.push(performance.now() - t);
    }
  }),
);
const rpcRate = latencies.length / ((performance.now() - start) / 1000);
await Promise.all(clients.map((c) => c.close()));

start = performance.now();
await Promise.all(
  Array.from({ length: sessions }, async () => {
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
    }
  }),
);
const healthRate = (sessions * requests) / ((performance.now() - start) / 1000);
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ rpcRate, p50: latencies[Math.floor(latencies.length / 2)], healthRate }));
