import { HttpError } from './errors.js';

/**
 * At most `capacity` accepts (requests handed to an entity) in flight to Temporal at once, for the
 * whole process. Past that, a request is refused at once with 429 and Retry-After instead of
 * joining a queue it would wait in until its client times out (docs/api.md#limits).
 */
export class AcceptGate {
  private inFlight = 0;

  constructor(
    private readonly capacity: number,
    private readonly retryAfterSeconds = 1,
  ) {}

  async run<T>(accept: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.capacity) {
      throw new HttpError(
        429,
        'busy',
        `the API is handing over ${this.inFlight} requests to their entities, as many as it takes at once (FLOTILLA_ACCEPT_CAPACITY); retry in ${this.retryAfterSeconds} s`,
        [],
        { retryAfterSeconds: this.retryAfterSeconds },
      );
    }
    this.inFlight++;
    try {
      return await accept();
    } finally {
      this.inFlight--;
    }
  }
}
