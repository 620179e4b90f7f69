// Everything the worker bundles into the workflow sandbox.
export { clusterWorkflow } from './cluster.js';
export { provisionClusterWorkflow } from './provision.js';
export { deleteClusterWorkflow } from './delete.js';
export { nodePoolWorkflow } from './nodepool.js';
export { upgradeClusterWorkflow } from './upgrade.js';
export { clusterGroupWorkflow } from './group.js';
export { deploymentWorkflow } from './deployment.js';
export { reconcileWorkflow } from './reconcile.js';
export { helmRepositoriesWorkflow } from './helm-repositories.js';
export { sizingWorkflow } from './sizing.js';
export { profilesWorkflow } from './profiles.js';
export { kubernetesVersionsWorkflow } from './kubernetes-versions.js';
