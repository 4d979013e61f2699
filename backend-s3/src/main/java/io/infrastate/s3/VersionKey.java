package io.infrastate.s3;

import io.infrastate.model.Snapshot;

/**
 * Identifies a version across lineages.
 *
 * @param lineage the lineage
 * @param serial the serial
 */
record VersionKey(String lineage, long serial) {
  static VersionKey of(Snapshot s) {
    return new VersionKey(s.metadata().lineage(), s.metadata().serial());
  }
}
