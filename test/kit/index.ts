/** The tests' entry to the testing kit, which lives in `testing/` (public: the demo and the
 * benchmarks use it too). */
export * from '../../testing/index.ts';
