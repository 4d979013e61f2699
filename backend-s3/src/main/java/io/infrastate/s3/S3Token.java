package io.infrastate.s3;

import io.infrastate.spi.VersionToken;

/**
 * The version token of an {@link S3Backend}: serial and lineage. {@code imported} when the version
 * is a state.json at the user's key with no log yet, identified by its ETag ({@code copyEtag}).
 *
 * @param serial the serial
 * @param lineage the lineage
 * @param imported whether the version is a file at the user's key without a log
 * @param copyEtag that file's ETag, or "" for a logged version
 */
record S3Token(long serial, String lineage, boolean imported, String copyEtag) implements VersionToken {}
