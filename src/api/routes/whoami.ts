import { z } from 'zod';
import { bearerOrg, type TokenTable } from '../auth.js';
import type { Routes } from '../route-table.js';

const WhoAmI = z.strictObject({ org: z.string() });

/** GET /whoami: the organization a token belongs to, so a client needs only the token. */
export function whoamiRoutes(routes: Routes, tokens: TokenTable): void {
  routes.get('/whoami', { summary: 'The organization of the bearer token', responses: { 200: { description: 'the organization', schema: WhoAmI } } }, (req, res) => {
    const answer: z.output<typeof WhoAmI> = { org: bearerOrg(tokens, req) };
    res.json(answer);
  });
}
