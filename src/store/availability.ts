/**
 * Where a store or a cache tells whether it can be reached, operation by operation: the log of
 * its outages. Called on every operation, so an implementation keeps the common case (still
 * reachable) to a comparison.
 */
export interface AvailabilityReport {
  /** A mark to take as an operation starts and hand back with its failure. */
  mark(): number;
  /** An operation succeeded: the dependency answers. */
  available(): void;
  /**
   * An operation started at `mark` failed because the dependency could not be reached, or did
   * not answer in time. An operation that was in flight when the dependency answered again
   * tells nothing new: the mark says which.
   */
  unavailable(error: Error, mark: number): void;
}

/** Nobody listening: for tools and tests that keep no log of outages. */
export const unreported: AvailabilityReport = {
  mark: () => 0,
  available: () => undefined,
  unavailable: () => undefined,
};
