import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Recommendation, RecommendationRequest } from '../domain/recommend/recommend.js';
import { HttpError } from './errors.js';

/** Searches waiting or running at once; more answer 503 rather than queue for minutes. */
export const MAX_PENDING_SEARCHES = 4;
/**
 * The longest a search may take, waiting included. Most take 1–5 s; a huge requirement over
 * every region can take minutes (100 000 vCPU: about 2), so the thread is stopped and asked again narrower.
 */
export const SEARCH_TIMEOUT_MS = 8_000;

interface Pending {
  resolve: (layouts: Recommendation[]) => void;
  reject: (err: Error) => void;
}

/**
 * Runs the recommender (seconds of CPU over every region) in a worker thread,
 * so the API's event loop keeps answering meanwhile. One thread, started on
 * first use, searches one request at a time; it does not keep the process alive.
 */
export class Recommender {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  recommend(request: RecommendationRequest): Promise<Recommendation[]> {
    if (this.pending.size >= MAX_PENDING_SEARCHES) {
      return Promise.reject(new HttpError(503, 'busy', `${MAX_PENDING_SEARCHES} recommendations are being searched; try again shortly`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.stop(`the search took over ${SEARCH_TIMEOUT_MS / 1000} s; name fewer providers or regions, or a smaller requirement`), SEARCH_TIMEOUT_MS);
      timer.unref();
      const settle = <T>(then: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        then(value);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.thread().postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  /** Ends the thread: what it held or queued is answered 503; the next request starts another. */
  private stop(why: string): void {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new HttpError(503, 'busy', why));
    void worker?.terminate();
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // The worker is TypeScript where this module is (tsx, jest): it loads through tsx then.
    const ext = extname(fileURLToPath(import.meta.url));
    const worker = new Worker(new URL(`./recommend-worker${ext}`, import.meta.url), ext === '.ts' ? { execArgv: ['--import', 'tsx'] } : {});
    worker.unref();
    worker.on('message', ({ id, layouts, error }: { id: number; layouts?: Recommendation[]; error?: string }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiting?.reject(new Error(`recommendation failed: ${error}`));
      else waiting?.resolve(layouts!);
    });
    // A thread that dies fails what it held; the next request starts another.
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the recommender thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
