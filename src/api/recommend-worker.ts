import { parentPort } from 'node:worker_threads';
import { recommend, type RecommendationRequest } from '../domain/recommend/recommend.js';

// The thread Recommender runs searches in: one request at a time, answered by its id.
parentPort!.on('message', ({ id, request }: { id: number; request: RecommendationRequest }) => {
  try {
    parentPort!.postMessage({ id, layouts: recommend(request) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
