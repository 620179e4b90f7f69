// The provider activities are the adapters' own methods, registered as they are on `provider-<name>`
// (docs/architecture.md, decision 3): named here for the workflows, which know activities/ only.
export type { ProviderActivities, VersionsQuery } from '../adapters/providers/provider.js';
