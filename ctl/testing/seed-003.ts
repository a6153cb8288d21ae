import { seed003Specs } from '../../test/fixtures/seed003.js';

/** SEED_003_VM1 is VM1 of seed 003, verbatim (from the shared fixture). */
export const SEED_003_VM1 = seed003Specs()[0]!;
