import { isOffered, withUpgradePaths } from '../../src/domain/kubernetes-versions.js';
import { aksOfferedVersions } from '../../src/adapters/providers/aks/versions.js';
import { gkeOfferedVersions } from '../../src/adapters/providers/gke/server-config.js';

// What GET /kubernetes-versions shows of the upgrade rule: a later patch or the next minor, never further, never down.
describe('withUpgradePaths', () => {
  it('gives each version the later patches of its minor and the next minor, no skipped minor and no downgrade', () => {
    const listed = withUpgradePaths([
      { version: '1.33.9' },
      { version: '1.34.2' },
      { version: '1.34.5', default: true },
      { version: '1.35.1' },
      { version: '1.36.0' },
    ]);
    expect(listed).toEqual([
      { version: '1.33.9', upgradesTo: ['1.34.2', '1.34.5'] },
      { version: '1.34.2', upgradesTo: ['1.34.5', '1.35.1'] },
      { version: '1.34.5', default: true, upgradesTo: ['1.35.1'] },
      { version: '1.35.1', upgradesTo: ['1.36.0'] },
      { version: '1.36.0', upgradesTo: [] },
    ]);
  });

  it('reads v-prefixed patch versions (KWOK releases) as the clusters name them', () => {
    expect(withUpgradePaths([{ version: 'v1.37.2' }, { version: 'v1.36.3' }]).map((v) => v.upgradesTo)).toEqual([[], ['v1.37.2']]);
  });
});

describe('isOffered', () => {
  it('takes a minor for any of its offered patches, and nothing else', () => {
    const offered = [{ version: 'v1.37.2' }, { version: 'v1.36.3' }];
    expect(['1.37', '1.37.2', 'v1.36.3', '1.36'].map((v) => isOffered(offered, v))).toEqual([true, true, true, true]);
    expect(['1.37.1', '1.35', '1.38'].map((v) => isOffered(offered, v))).toEqual([false, false, false]);
  });
});

// GKE lists full releases, newest first; clusters are asked for by minor.
describe('gkeOfferedVersions', () => {
  it("gives the minors of GKE's master versions once each, oldest first, the default's minor marked", () => {
    const offered = gkeOfferedVersions({
      defaultClusterVersion: '1.34.3-gke.1051000',
      validMasterVersions: ['1.35.2-gke.1200', '1.35.1-gke.1126000', '1.34.3-gke.1051000', '1.33.5-gke.1201000', 'not-a-version'],
    });
    expect(offered).toEqual([{ version: '1.33' }, { version: '1.34', default: true }, { version: '1.35' }]);
  });

  it('offers nothing when GKE lists nothing', () => {
    expect(gkeOfferedVersions({})).toEqual([]);
  });
});

// AKS lists minors with their patches; preview minors need a registered preview feature.
describe('aksOfferedVersions', () => {
  it('gives the minors oldest first, the default marked, preview ones left out', () => {
    const offered = aksOfferedVersions({
      values: [
        { version: '1.35', isPreview: true, patchVersions: { '1.35.0': { upgrades: [] } } },
        { version: '1.34', isDefault: true, patchVersions: { '1.34.2': { upgrades: ['1.35.0'] } } },
        { version: '1.33', patchVersions: { '1.33.5': { upgrades: ['1.34.2'] } } },
      ],
    });
    expect(offered).toEqual([{ version: '1.33' }, { version: '1.34', default: true }]);
  });
});
