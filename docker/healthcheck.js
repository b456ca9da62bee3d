// @ts-check
/* global fetch, process, AbortSignal */
// Container health probe (the image's HEALTHCHECK and the compose healthcheck): healthy only when
// GET /health/ready answers 200 within the timeout, i.e. the process serves and the database answers.
// Docker keeps the last output of a probe, so a failure says why.
const port = process.env.PORT || '3000';
const bound = process.env.HOST ?? '';
// A wildcard address is reached on loopback; an IPv6 literal needs brackets in a URL.
const host = ['', '0.0.0.0', '::'].includes(bound) ? '127.0.0.1' : bound;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/health/ready`;

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then((response) => {
    if (!response.ok) process.stderr.write(`${url} answered ${response.status}\n`);
    process.exit(response.ok ? 0 : 1);
  })
  .catch((error) => {
    process.stderr.write(`${url} did not answer: ${String(error)}\n`);
    process.exit(1);
  });
