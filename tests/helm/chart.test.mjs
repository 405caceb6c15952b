// The chart, rendered with `helm template` for several value sets, against the Kubernetes and Istio schemas and the
// rules it promises. Nothing here needs a cluster: what does (install, Envoy and Istio at run time) is not run here.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import {
  ROOT, ISTIO_FILE, NAMESPACE, render, renderIstioText, helmTemplate, contracts, descriptorPaths, validate,
  unknownPaths, of, all, envOf, podsOf,
} from './chart.mjs';

const VALUE_SETS = {
  defaults: [],
  'istio on': ['istio.yaml'],
  '8 shards': ['eight-shards.yaml'],
  'existing secrets': ['existing-secrets.yaml'],
  'Java edge': ['java-edge.yaml'],
  reshard: ['reshard.yaml'],
};
const GRPC_WORKLOADS = { 'user-service': 50051, 'order-service': 50052 };
const values = yaml.load(fs.readFileSync(path.join(ROOT, 'helm/trellis/values.yaml'), 'utf8'));
const { paths: METHODS, services: SERVICES } = descriptorPaths();

for (const [name, files] of Object.entries(VALUE_SETS)) {
  describe(`helm template (${name})`, () => {
    const docs = render(files);

    test('every object validates against its Kubernetes or Istio schema', async () => {
      assert.ok(docs.length > 10);
      for (const doc of docs) {
        await validate(doc).catch((e) => assert.fail(`${doc.kind}/${doc.metadata.name}: ${e.message}`));
      }
    });

    test('every long-running container has startup, readiness and liveness probes; gRPC ones native gRPC', () => {
      for (const { owner, kind, pod } of podsOf(docs)) {
        if (kind === 'Job') continue; // runs to completion: bounded by activeDeadlineSeconds instead
        for (const c of pod.spec.containers) {
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
            assert.ok(c[probe], `${owner} ${c.name} lacks ${probe}`);
            if (c.name in GRPC_WORKLOADS) {
              assert.deepEqual(c[probe].grpc, { port: GRPC_WORKLOADS[c.name] }, `${owner} ${probe}`);
            }
          }
        }
      }
    });

    test('every pod and container runs restricted: non-root, read-only root, no escalation, no capabilities', () => {
      for (const { owner, pod } of podsOf(docs)) {
        assert.equal(pod.spec.securityContext.runAsNonRoot, true, owner);
        assert.equal(pod.spec.securityContext.seccompProfile.type, 'RuntimeDefault', owner);
        assert.equal(pod.spec.automountServiceAccountToken, false, owner);
        for (const c of [...pod.spec.containers, ...(pod.spec.initContainers || [])]) {
          const s = c.securityContext;
          assert.ok(s, `${owner} ${c.name} has no securityContext`);
          assert.equal(s.runAsNonRoot, true, `${owner} ${c.name} runAsNonRoot`);
          assert.equal(s.readOnlyRootFilesystem, true, `${owner} ${c.name} readOnlyRootFilesystem`);
          assert.equal(s.allowPrivilegeEscalation, false, `${owner} ${c.name} allowPrivilegeEscalation`);
          assert.deepEqual(s.capabilities.drop, ['ALL'], `${owner} ${c.name} capabilities`);
          assert.equal(s.seccompProfile.type, 'RuntimeDefault', `${owner} ${c.name} seccomp`);
          assert.ok(c.resources?.requests && c.resources?.limits?.memory, `${owner} ${c.name} resources`);
          assert.ok((c.volumeMounts || []).some((m) => m.mountPath === '/tmp'), `${owner} ${c.name} writable /tmp`);
        }
      }
    });

    test('every gRPC Service port is named grpc-* with appProtocol grpc', () => {
      for (const [workload, port] of Object.entries(GRPC_WORKLOADS)) {
        const service = of(docs, 'Service', workload);
        assert.deepEqual(service.spec.ports.map((p) => [p.name.startsWith('grpc-'), p.appProtocol, p.port]),
          [[true, 'grpc', port]], workload);
      }
      for (const service of all(docs, 'Service')) {
        for (const p of service.spec.ports) {
          if (p.appProtocol === 'grpc') assert.match(p.name, /^grpc-/, service.metadata.name);
        }
      }
    });

    test('shutdown: preStop sleep, then the app drains, all within the grace period (and the sidecar drain)', () => {
      const { preStopSeconds, drainSeconds } = values.shutdown;
      for (const d of all(docs, 'Deployment').filter((x) => x.metadata.name !== 'otel-collector')) {
        const pod = d.spec.template;
        const app = pod.spec.containers[0];
        assert.equal(app.lifecycle.preStop.sleep.seconds, preStopSeconds, d.metadata.name);
        assert.ok(pod.spec.terminationGracePeriodSeconds > preStopSeconds + drainSeconds, d.metadata.name);
        if (d.metadata.name in GRPC_WORKLOADS) {
          assert.equal(envOf(app).TRELLIS_SHUTDOWN_GRACE, `${drainSeconds}s`);
        }
        const proxy = pod.metadata.annotations['proxy.istio.io/config'];
        if (proxy) {
          const config = JSON.parse(proxy);
          assert.equal(config.holdApplicationUntilProxyStarts, true);
          assert.ok(parseInt(config.terminationDrainDuration, 10) > preStopSeconds + drainSeconds, d.metadata.name);
        }
      }
    });

    test('each gRPC service gets its shards, keys and checks its schema; the migration jobs run first', () => {
      for (const workload of Object.keys(GRPC_WORKLOADS)) {
        const env = envOf(of(docs, 'Deployment', workload).spec.template.spec.containers[0]);
        const database = workload === 'user-service' ? 'trellis_users' : 'trellis_orders';
        const urls = env.TRELLIS_SHARD_URLS.split(',');
        assert.ok(urls.length >= 1 && urls.every((u) => u.includes(`/${database}`) && !u.includes('{database}')));
        assert.equal(env.TRELLIS_MIGRATE_ON_START, 'false');
        assert.equal(env.TRELLIS_SHARD_PASSWORD_FILE, '/var/run/secrets/trellis/shards/password');
        assert.ok(env.TRELLIS_JWT_JWKS_URL || env.TRELLIS_JWT_JWKS_FILE);
        const job = of(docs, 'Job', `${workload}-migration`);
        assert.equal(job.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
        const migrate = job.spec.template.spec.containers[0];
        assert.ok(migrate.command.includes('dev.trellis.platform.data.ShardMigrator'));
        assert.equal(migrate.image, of(docs, 'Deployment', workload).spec.template.spec.containers[0].image);
        assert.equal(envOf(migrate).TRELLIS_SHARD_URLS, env.TRELLIS_SHARD_URLS);
        assert.match(envOf(migrate).TRELLIS_MIGRATION_LOCATIONS, /^classpath:db\/migration\//);
      }
    });

    test('a reshard runs as a Job per service database, with the seed list, the new shards and the secrets', () => {
      const jobs = all(docs, 'Job').filter((j) => j.metadata.name.includes('-reshard-'));
      if (!files.includes('reshard.yaml')) {
        assert.deepEqual(jobs, [], 'no reshard job unless reshard.enabled');
        return;
      }
      assert.deepEqual(jobs.map((j) => j.metadata.name).sort(),
        ['order-service-reshard-grow-6', 'user-service-reshard-grow-6']);
      for (const workload of Object.keys(GRPC_WORKLOADS)) {
        const service = of(docs, 'Deployment', workload).spec.template.spec.containers[0];
        const job = of(docs, 'Job', `${workload}-reshard-grow-6`);
        assert.equal(job.metadata.annotations?.['helm.sh/hook'], undefined, 'runs while the services serve');
        const c = job.spec.template.spec.containers[0];
        assert.ok(c.command.includes('dev.trellis.platform.data.reshard.ReshardProgram'));
        assert.equal(c.image, service.image);
        const env = envOf(c);
        const database = workload === 'user-service' ? 'trellis_users' : 'trellis_orders';
        assert.equal(env.TRELLIS_RESHARD_SHARDS, '6');
        assert.equal(env.TRELLIS_RESHARD_PROGRESS, 'lines');
        assert.equal(env.TRELLIS_SHARD_URLS, [0, 1, 2, 3, 4, 5]
          .map((i) => `jdbc:postgresql://pg-${i}.db:5432/${database}`).join(','));
        // The services keep the seed list: they find the new shards in the bucket directory.
        assert.equal(envOf(service).TRELLIS_SHARD_URLS.split(',').length, 4);
        assert.equal(env.TRELLIS_SHARD_PASSWORD_FILE, '/var/run/secrets/trellis/shards/password');
        assert.deepEqual(c.env.find((e) => e.name === 'TRELLIS_SHARD_USER').valueFrom.secretKeyRef,
          service.env.find((e) => e.name === 'TRELLIS_SHARD_USER').valueFrom.secretKeyRef);
        assert.match(env.TRELLIS_MIGRATION_LOCATIONS, /^classpath:db\/migration\//);
      }
      const policy = of(docs, 'NetworkPolicy', 'trellis-reshard');
      assert.deepEqual(policy.spec.podSelector.matchExpressions[0].values,
        ['user-service-reshard', 'order-service-reshard']);
    });

    test('NetworkPolicies deny by default and open only the declared paths', () => {
      const deny = of(docs, 'NetworkPolicy', 'trellis-default-deny');
      assert.deepEqual(deny.spec.policyTypes, ['Ingress', 'Egress']);
      assert.equal(deny.spec.ingress, undefined);
      const user = of(docs, 'NetworkPolicy', 'user-service');
      const from = user.spec.ingress[0].from.map((p) => p.podSelector.matchLabels['app.kubernetes.io/name']);
      assert.deepEqual(from.sort(), ['edge-proxy', 'order-service']);
      const order = of(docs, 'NetworkPolicy', 'order-service');
      assert.deepEqual(order.spec.ingress[0].from.map((p) => p.podSelector.matchLabels['app.kubernetes.io/name']),
        ['edge-proxy']);
    });

    const istio = docs.some((d) => d.apiVersion.endsWith('istio.io/v1'));
    if (istio) {
      test('mTLS is STRICT for the namespace, and every DestinationRule uses ISTIO_MUTUAL', () => {
        const peers = all(docs, 'PeerAuthentication');
        assert.equal(peers.length, 1);
        assert.equal(peers[0].spec.mtls.mode, 'STRICT');
        assert.equal(peers[0].spec.selector, undefined);
        assert.equal(peers[0].spec.portLevelMtls, undefined);
        const rules = all(docs, 'DestinationRule');
        assert.deepEqual(rules.map((r) => r.metadata.name).sort(), ['edge-proxy', 'order-service', 'user-service']);
        for (const r of rules) {
          assert.equal(r.spec.trafficPolicy.tls.mode, 'ISTIO_MUTUAL');
          const o = r.spec.trafficPolicy.outlierDetection;
          assert.deepEqual([o.consecutive5xxErrors, o.consecutiveGatewayErrors, o.interval, o.baseEjectionTime],
            [5, 5, '10s', '30s']);
          assert.ok(o.maxEjectionPercent > 0 && o.maxEjectionPercent <= 50);
        }
      });

      test('each AuthorizationPolicy names only methods the descriptors have, and every method is covered', () => {
        const policies = all(docs, 'AuthorizationPolicy');
        const covered = new Set();
        for (const p of policies) {
          assert.deepEqual(unknownPaths(p, METHODS), [], p.metadata.name);
          assert.equal(p.spec.action, 'ALLOW');
          for (const r of p.spec.rules || []) {
            for (const t of r.to || []) (t.operation.paths || []).forEach((x) => covered.add(x));
          }
        }
        assert.deepEqual([...covered].sort(), [...METHODS].sort());
        const deny = of(docs, 'AuthorizationPolicy', 'trellis-deny-by-default');
        assert.equal(deny.spec.rules, undefined, 'an ALLOW policy without rules denies what no other allows');
      });

      test('AuthorizationPolicies say what the declarations say: roles via the edge, services by identity', () => {
        const edge = `cluster.local/ns/${NAMESPACE}/sa/edge-proxy`;
        for (const service of contracts().services) {
          const workload = service.name.startsWith('trellis.user.') ? 'user-service' : 'order-service';
          const policy = of(docs, 'AuthorizationPolicy', workload);
          for (const m of service.methods) {
            const rules = policy.spec.rules.filter((r) => r.to[0].operation.paths.includes(m.path));
            const users = rules.filter((r) => r.from[0].source.principals.includes(edge));
            assert.equal(users.length, m.roles.length ? 1 : 0, m.path);
            if (users.length) {
              assert.deepEqual(users[0].from[0].source.requestPrincipals, ['*']);
              assert.deepEqual(users[0].when, [{ key: 'request.auth.claims[roles]', values: m.roles }]);
            }
            const callers = rules.filter((r) => !r.from[0].source.principals.includes(edge))
              .flatMap((r) => r.from[0].source.principals);
            assert.deepEqual(callers, m.services.map((s) => `cluster.local/ns/${NAMESPACE}/sa/${s}`), m.path);
          }
        }
        const get = of(docs, 'AuthorizationPolicy', 'user-service').spec.rules
          .filter((r) => r.to[0].operation.paths[0] === '/trellis.user.v1.UserService/GetUser');
        assert.ok(get.some((r) => r.from[0].source.principals[0] === `cluster.local/ns/${NAMESPACE}/sa/order-service`));
      });

      test('RequestAuthentication checks the same issuer, audience and keys as the services, and keeps the token', () => {
        const ra = of(docs, 'RequestAuthentication', 'trellis-jwt');
        const env = envOf(of(docs, 'Deployment', 'user-service').spec.template.spec.containers[0]);
        const rule = ra.spec.jwtRules[0];
        assert.equal(rule.issuer, env.TRELLIS_JWT_ISSUER);
        assert.deepEqual(rule.audiences, [env.TRELLIS_JWT_AUDIENCE]);
        assert.ok(rule.jwksUri === env.TRELLIS_JWT_JWKS_URL || rule.jwks, 'same keys');
        assert.equal(rule.forwardOriginalToken, true);
      });

      test('retries never include resource-exhausted; mesh retries switch the services own retries off', () => {
        for (const vs of all(docs, 'VirtualService')) {
          for (const route of vs.spec.http) {
            assert.ok(!(route.retries?.retryOn || '').includes('resource-exhausted'), vs.metadata.name);
            if (route.name === 'streams') assert.equal(route.retries.perTryTimeout, undefined);
          }
        }
        const vs = of(docs, 'VirtualService', 'user-service');
        const unary = vs.spec.http.find((r) => r.name === 'unary');
        assert.equal(unary.retries.retryOn, 'unavailable,cancelled,connect-failure,reset');
        for (const workload of Object.keys(GRPC_WORKLOADS)) {
          const env = envOf(of(docs, 'Deployment', workload).spec.template.spec.containers[0]);
          assert.equal(env.TRELLIS_CLIENT_RETRIES, 'false', workload);
        }
        assert.equal(envOf(of(docs, 'Deployment', 'user-service').spec.template.spec.containers[0])
          .TRELLIS_AUTH_MESH_SERVICE_ACCOUNTS, `${NAMESPACE}/order-service`);
      });

      test('streaming RPCs (from the descriptors) get no route timeout; unary ones do', () => {
        const streaming = contracts().services.flatMap((s) => s.methods).filter((m) => m.streaming).map((m) => m.path);
        assert.ok(streaming.includes('/trellis.order.v1.OrderService/TrackOrders'));
        const routed = all(docs, 'VirtualService').flatMap((vs) => vs.spec.http)
          .filter((r) => r.name === 'streams').flatMap((r) => r.match.map((m) => m.uri.exact));
        assert.deepEqual(routed.sort(), streaming.sort());
        for (const vs of all(docs, 'VirtualService')) {
          for (const r of vs.spec.http.filter((x) => x.name === 'streams')) assert.equal(r.timeout, '0s');
          for (const r of vs.spec.http.filter((x) => x.name === 'unary')) assert.equal(r.timeout, values.istio.timeout);
        }
      });

      test('the edge is reached through the Gateway only', () => {
        assert.ok(of(docs, 'Gateway', 'trellis'));
        const vs = of(docs, 'VirtualService', 'edge-proxy-gateway');
        assert.deepEqual(vs.spec.gateways, ['trellis']);
        assert.equal(vs.spec.http[0].route[0].destination.host, `edge-proxy.${NAMESPACE}.svc.cluster.local`);
        const ap = of(docs, 'AuthorizationPolicy', 'edge-proxy');
        assert.deepEqual(ap.spec.rules[0].from[0].source.principals, values.istio.gatewayPrincipals);
      });
    }
  });
}

describe('helm template (specific value sets)', () => {
  test('the Envoy config mounted is the shipped one, with the descriptor set it names', () => {
    const docs = render();
    const shipped = fs.readFileSync(path.join(ROOT, 'edge-proxy/envoy/envoy.yaml'), 'utf8');
    const config = of(docs, 'ConfigMap', 'edge-proxy-envoy');
    assert.equal(config.data['envoy.yaml'], shipped.replace(/\n$/, ''));
    const descriptors = of(docs, 'ConfigMap', 'trellis-descriptors');
    assert.equal(descriptors.binaryData['trellis.binpb'], contracts().descriptorSet);
    const pod = of(docs, 'Deployment', 'edge-proxy').spec.template.spec;
    const envoy = pod.containers[0];
    assert.deepEqual(envoy.args.slice(0, 2), ['--config-path', '/etc/envoy/envoy.yaml']);
    assert.ok(envoy.volumeMounts.some((m) => m.name === 'envoy' && m.mountPath === '/etc/envoy'));
    const projected = pod.volumes.find((v) => v.name === 'envoy').projected.sources;
    assert.deepEqual(projected.map((s) => [s.configMap.name, s.configMap.items[0].path]),
      [['edge-proxy-envoy', 'envoy.yaml'], ['trellis-descriptors', 'trellis.binpb']]);
    // The transcoder reads the mounted descriptor set and serves services the descriptors have.
    const text = JSON.stringify(yaml.load(shipped));
    assert.match(text, /"proto_descriptor":"\/etc\/envoy\/trellis\.binpb"/);
    const transcoded = JSON.parse(text.match(/"services":(\[[^\]]*\])/)[1]);
    for (const s of transcoded) assert.ok(SERVICES.has(s), `envoy.yaml transcodes ${s}, which the descriptors lack`);
    // The probes' path is answered by the config.
    assert.ok(shipped.includes(values.edge.healthPath));
  });

  test('8 shards: eight JDBC URLs, in order, for each service database', () => {
    const docs = render(['eight-shards.yaml']);
    const env = envOf(of(docs, 'Deployment', 'order-service').spec.template.spec.containers[0]);
    const urls = env.TRELLIS_SHARD_URLS.split(',');
    assert.equal(urls.length, 8);
    urls.forEach((u, i) => assert.equal(u, `jdbc:postgresql://pg-${i}.db:5432/trellis_orders?sslmode=require`));
  });

  test('existing secrets: nothing of them is rendered, and every reference names them', () => {
    const docs = render(['existing-secrets.yaml']);
    assert.deepEqual(all(docs, 'Secret').map((s) => s.metadata.name), []);
    for (const { owner, pod } of podsOf(docs).filter((p) => p.owner !== 'Deployment/edge-proxy')) {
      const c = pod.spec.containers[0];
      assert.deepEqual(envOf(c).TRELLIS_SHARD_USER, { secretKeyRef: { name: 'trellis-db', key: 'user' } }, owner);
      const shards = pod.spec.volumes.find((v) => v.name === 'shards');
      assert.deepEqual(shards.secret, { secretName: 'trellis-db', items: [{ key: 'pass', path: 'password' }] });
    }
    const order = of(docs, 'Deployment', 'order-service').spec.template.spec;
    assert.equal(envOf(order.containers[0]).TRELLIS_SERVICE_TOKEN_FILE, '/var/run/secrets/trellis/service-token/token');
    assert.equal(order.volumes.find((v) => v.name === 'service-token').secret.secretName, 'order-service-token');
    assert.equal(order.volumes.find((v) => v.name === 'jwks').secret.secretName, 'trellis-jwks');
    assert.equal(order.volumes.find((v) => v.name === 'page-token').secret.secretName, 'trellis-keys');
  });

  test('Java edge: the edge-proxy image, no Envoy config, every service as its upstream on the probed port', () => {
    const docs = render(['java-edge.yaml']);
    const edge = of(docs, 'Deployment', 'edge-proxy').spec.template.spec.containers[0];
    assert.equal(edge.image, `${values.edge.java.image.repository}:${values.edge.java.image.tag}`);
    assert.equal(of(docs, 'ConfigMap', 'edge-proxy-envoy'), undefined);
    // edge-proxy refuses to start without TRELLIS_EDGE_UPSTREAMS, or with a service the descriptors lack.
    const env = envOf(edge);
    assert.equal(env.TRELLIS_EDGE_PORT, String(values.edge.port));
    assert.equal(edge.ports[0].containerPort, values.edge.port);
    const upstreams = Object.fromEntries(env.TRELLIS_EDGE_UPSTREAMS.split(',').map((p) => p.split('=')));
    assert.deepEqual(Object.keys(upstreams).sort(), [...SERVICES].sort(), 'every service of the contracts');
    for (const [service, target] of Object.entries(upstreams)) {
      const workload = service.startsWith('trellis.user.') ? 'user-service' : 'order-service';
      assert.equal(target, `${workload}:${GRPC_WORKLOADS[workload]}`, service);
    }
    assert.equal(of(docs, 'RequestAuthentication', 'trellis-jwt').spec.jwtRules[0].jwks.length > 10, true);
  });

  test('values.schema.json refuses a wrong value with a message that names it', () => {
    const retry = helmTemplate(['--values', path.join(ROOT, 'tests/helm/values/bad-retry.yaml')]);
    assert.equal(retry.ok, false);
    assert.match(retry.stderr, /istio\.retries\.retryOn: Does not match pattern/);
    const typo = helmTemplate(['--set', 'userService.replica=3']);
    assert.equal(typo.ok, false);
    assert.match(typo.stderr, /userService: Additional property replica is not allowed/);
    const kind = helmTemplate(['--set', 'edge.kind=nginx']);
    assert.match(kind.stderr, /edge\.kind: edge\.kind must be one of the following: "envoy", "java"/);
  });

  test('the chart refuses what the schema cannot see: JWKS sources, a budget that blocks drains', () => {
    const none = helmTemplate(['--set', 'jwt.jwks.url=']);
    assert.match(none.stderr, /set exactly one of jwt\.jwks\.inline, jwt\.jwks\.existingSecret and jwt\.jwks\.url/);
    const pdb = helmTemplate(['--set', 'userService.replicas=1']);
    assert.match(pdb.stderr, /user-service: podDisruptionBudget\.minAvailable \(1\) must be below replicas \(1\)/);
    const secretJwks = helmTemplate(['--set', 'istio.enabled=true', '--set', 'jwt.jwks.url=',
      '--set', 'jwt.jwks.existingSecret=k']);
    assert.match(secretJwks.stderr, /Istio's RequestAuthentication cannot read jwt\.jwks\.existingSecret/);
  });

  test('the checks bite: a policy naming an unknown method and a malformed object are caught', async () => {
    const policy = { spec: { rules: [{ to: [{ operation: { paths: ['/trellis.user.v1.UserService/GetUser',
      '/trellis.user.v1.UserService/StealUser'] } }] }] } };
    assert.deepEqual(unknownPaths(policy, METHODS), ['/trellis.user.v1.UserService/StealUser']);
    const broken = structuredClone(of(render(), 'Deployment', 'user-service'));
    broken.spec.replicas = 'two';
    await assert.rejects(validate(broken));
  });

  test('istio/ holds the chart\'s Istio objects as rendered (run ./trellis contracts after changing the chart)', () => {
    const shipped = fs.readFileSync(ISTIO_FILE, 'utf8');
    assert.equal(shipped, renderIstioText(), 'istio/trellis.yaml differs from the chart: run ./trellis contracts');
    const kinds = yaml.loadAll(shipped).filter(Boolean).map((d) => d.kind);
    for (const kind of ['PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'DestinationRule',
      'VirtualService', 'Gateway']) {
      assert.ok(kinds.includes(kind), kind);
    }
  });
});

test('README documents every value of values.yaml', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Values'), readme.indexOf('### Checked by'));
  const leaves = [];
  const walk = (node, prefix) => {
    if (node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else {
      leaves.push(prefix);
    }
  };
  walk(values, '');
  const undocumented = leaves.filter((leaf) => {
    const parts = leaf.split('.');
    return !parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('.');
      return table.includes(`\`${prefix}\``) || table.includes(`\`${prefix}.*\``);
    });
  });
  assert.deepEqual(undocumented, [], 'add these values to the table in README.md ("### Values")');
});
