import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes (docs/architecture.md, decision 1): the API lists with them, operators filter with them. */
export const FlotillaOrg = defineSearchAttributeKey('FlotillaOrg', SearchAttributeType.KEYWORD);
export const FlotillaKind = defineSearchAttributeKey('FlotillaKind', SearchAttributeType.KEYWORD);
export const FlotillaProvider = defineSearchAttributeKey('FlotillaProvider', SearchAttributeType.KEYWORD);
export const FlotillaStatus = defineSearchAttributeKey('FlotillaStatus', SearchAttributeType.KEYWORD);
export const FlotillaGroup = defineSearchAttributeKey('FlotillaGroup', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [FlotillaOrg, FlotillaKind, FlotillaProvider, FlotillaStatus, FlotillaGroup];
