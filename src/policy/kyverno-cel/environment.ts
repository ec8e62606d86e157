/**
 * The one CEL environment ImageValidatingPolicies are compiled in: the variables Kyverno declares for them
 * (object, oldObject, request, namespaceObject, images, attestors, attestations, variables), the Kubernetes
 * libraries, Kyverno's image library and its image verification functions. Built on first use.
 */
import { lazy } from '../../core/index.js';
import { CEL_LIMITS, type CelEnvironment, loadCel } from '../cel/engine.js';
import { registerImageLibrary } from '../cel/image.js';
import { registerKubernetesLibraries } from '../cel/kubernetes.js';
import { registerImageFunctions } from './functions.js';

function withLibraries(env: CelEnvironment): CelEnvironment {
  registerKubernetesLibraries(env);
  registerImageLibrary(env);
  return env;
}

/** For policies' expressions. */
export const policyEnvironment = lazy(() => {
  const { Environment } = loadCel();
  const env = new Environment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    limits: CEL_LIMITS,
  });
  for (const name of ['object', 'oldObject', 'request', 'namespaceObject', 'variables']) {
    env.registerVariable(name, 'dyn');
  }
  env
    .registerVariable('images', 'map<string, list<string>>')
    .registerVariable('attestors', 'map<string, dyn>')
    .registerVariable('attestations', 'map<string, string>');
  registerImageFunctions(env);
  return withLibraries(env);
});

/** For matchImageReferences expressions: the image is `ref` and nothing else is in scope (Kyverno's). */
export const imageMatchEnvironment = lazy(() => {
  const { Environment } = loadCel();
  const env = new Environment({ enableOptionalTypes: true, limits: CEL_LIMITS });
  env.registerVariable('ref', 'string');
  return withLibraries(env);
});
