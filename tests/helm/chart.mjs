// Renders helm/trellis with `helm template` and checks what comes out: schemas, and the rules the chart promises.
// Used by chart.test.mjs and by `./trellis contracts` (which rewrites istio/ from the chart).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import descriptor from 'protobufjs/ext/descriptor/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART = path.join(ROOT, 'helm/trellis');
export const HELM = path.join(ROOT, 'node_modules/.bin/helm');
export const ISTIO_FILE = path.join(ROOT, 'istio/trellis.yaml');
/** The namespace and release istio/ is rendered for; principals and hosts name the namespace. */
export const NAMESPACE = 'trellis';
export const KUBE_VERSION = '1.30.0';

/** `helm template` of the chart; returns { ok, stdout, stderr }. */
export function helmTemplate(args = []) {
  const result = spawnSync(HELM, ['template', 'trellis', CHART, '--namespace', NAMESPACE,
    '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr };
}

/** The rendered objects of the chart with the given values files (under tests/helm/values) and --set flags. */
export function render(valuesFiles = [], sets = []) {
  const args = [];
  for (const f of valuesFiles) args.push('--values', path.join(ROOT, 'tests/helm/values', f));
  for (const s of sets) args.push('--set', s);
  const out = helmTemplate(args);
  if (!out.ok) throw new Error(`helm template ${args.join(' ')} failed:\n${out.stderr}`);
  return yaml.loadAll(out.stdout).filter(Boolean);
}

/** The text of every rendered Istio object, as helm printed it, for istio/. */
export function renderIstioText() {
  const out = helmTemplate(['--set', 'istio.enabled=true']);
  if (!out.ok) throw new Error(`helm template failed:\n${out.stderr}`);
  const docs = out.stdout.split(/^---$/m).map((d) => d.trim()).filter(Boolean)
    .filter((d) => /^apiVersion: [a-z.]*istio\.io\//m.test(d));
  return ISTIO_HEADER + docs.map((d) => `---\n${d}\n`).join('');
}

export const ISTIO_HEADER = `# Trellis's Istio objects for namespace "${NAMESPACE}", for users who apply them without Helm:
#   kubectl apply -n ${NAMESPACE} -f istio/trellis.yaml
# Generated from helm/trellis (values.yaml with istio.enabled=true) by ./trellis contracts; do not edit. A test fails
# when this file and the chart differ. Another namespace or other values: helm template ... --set istio.enabled=true.
`;

/** The contracts shipped in the chart: the descriptor set and the access declarations. */
export function contracts() {
  return JSON.parse(fs.readFileSync(path.join(CHART, 'files/contracts.json'), 'utf8'));
}

/** Every gRPC method path ("/pkg.Service/Method") the chart's descriptor set holds, decoded from its bytes. */
export function descriptorPaths() {
  const set = descriptor.FileDescriptorSet.decode(Buffer.from(contracts().descriptorSet, 'base64'));
  const paths = new Set();
  const services = new Set();
  for (const file of set.file) {
    for (const service of file.service || []) {
      services.add(`${file.package}.${service.name}`);
      for (const method of service.method || []) paths.add(`/${file.package}.${service.name}/${method.name}`);
    }
  }
  return { paths, services };
}

/** Validates one object against the Kubernetes or Istio schema of its kind; throws with the reason. */
export async function validate(doc) {
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : [null, doc.apiVersion];
  const pkg = group && group.endsWith('istio.io') ? '@kubernetes-models/istio' : 'kubernetes-models';
  const module = await import(`${pkg}/${group ? `${group}/` : ''}${version}`);
  const Model = module[doc.kind];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

/** The paths an AuthorizationPolicy names that the descriptors do not have. */
export function unknownPaths(policy, known) {
  const named = (policy.spec.rules || []).flatMap((r) => (r.to || []).flatMap((t) => t.operation?.paths || []));
  return named.filter((p) => !known.has(p));
}

export const of = (docs, kind, name) => docs.find((d) => d.kind === kind && (!name || d.metadata.name === name));
export const all = (docs, kind) => docs.filter((d) => d.kind === kind);
export const envOf = (container) => Object.fromEntries((container.env || []).map((e) => [e.name, e.value ?? e.valueFrom]));

/** Pod templates with their owner: Deployments and Jobs. */
export function podsOf(docs) {
  return docs.filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
    .map((d) => ({ owner: `${d.kind}/${d.metadata.name}`, kind: d.kind, pod: d.spec.template }));
}

// Invoked as a script: node tests/helm/chart.mjs --write-istio rewrites istio/trellis.yaml.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write-istio') {
  const text = renderIstioText();
  const old = fs.existsSync(ISTIO_FILE) ? fs.readFileSync(ISTIO_FILE, 'utf8') : '';
  if (old === text) {
    console.log(`up to date: ${ISTIO_FILE}`);
  } else {
    fs.mkdirSync(path.dirname(ISTIO_FILE), { recursive: true });
    fs.writeFileSync(ISTIO_FILE, text);
    console.log(`wrote ${ISTIO_FILE}`);
  }
}
