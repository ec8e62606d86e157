/**
 * Admission webhook: warm-cache AdmissionReviews in-process (handler called directly) and over HTTPS on
 * loopback with 64 keep-alive clients, for a one-container Pod and a five-container Pod. The evaluator
 * is a constant until the policy engine lands, so these figures measure the webhook's own hot path.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createAdmissionServer } from '../src/admission/index.js';
import { selfSignedCertificate } from '../test/helpers/tls.js';
import { formatTiming, measure } from './stats.js';

function podWithContainers(count: number): Record<string, unknown> {
  const review = JSON.parse(readFileSync('test/fixtures/admission/create-pod.json', 'utf8')) as {
    request: { object: { spec: { containers: unknown[] } } };
  };
  review.request.object.spec.containers = Array.from({ length: count }, (_, i) => ({
    name: `c${i}`,
    image: `registry.example.com/team/app${i}:v1`,
  }));
  return review as unknown as Record<string, unknown>;
}

export async function benchAdmission(): Promise<void> {
  const tls = selfSignedCertificate();
  const server = createAdmissionServer({
    tls,
    evaluate: async () => ({ allowed: true, warnings: [] }),
    policyState: () => ({ generation: 1 }),
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: tls.cert });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/validate',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (const containers of [1, 5]) {
      const review = podWithContainers(containers);
      const body = JSON.stringify(review);
      const handler = server.handlers.Fail;
      await handler.review(review, 'validate');
      console.log(
        formatTiming(
          `admission warm, in-process, ${containers} container(s)`,
          await measure(20_000, () => handler.review(review, 'validate')),
        ),
      );
      await measure(500, () => post(body), 64);
      console.log(
        formatTiming(
          `admission warm, HTTPS x64, ${containers} container(s)`,
          await measure(10_000, () => post(body), 64),
        ),
      );
    }
  } finally {
    agent.destroy();
    await server.app.close();
  }
}
