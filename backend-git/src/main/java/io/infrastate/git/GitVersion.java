package io.infrastate.git;

import io.infrastate.spi.VersionToken;
import java.util.Objects;

/**
 * A version of a state stored by {@link GitBackend}: its serial and lineage, the commit it was
 * read from or written as, and the Git blob id of the state file's content.
 *
 * <p>Compare-and-swap compares the <em>blob id</em>: a write succeeds only if the state file on
 * the branch tip still has exactly the content this version names. A commit that changes only
 * other files of the repository (a person editing a README) therefore holds the same version and
 * does not make a write conflict; the write is simply committed on top of it. {@link #commitId()}
 * is the commit where this handle last saw or wrote the version, for messages and for {@code git
 * show}; a later commit may hold the same version.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param serial the state's serial
 * @param lineage the state's lineage, empty if it has none (a file written by Go-FTL2)
 * @param commitId the commit id (40 hexadecimal digits)
 * @param blobId the state file's blob id (40 hexadecimal digits); in the tree layout, the id of the
 *     tree of its {@code metadata.json}, {@code hosts} and {@code resources} (computed, not stored)
 */
public record GitVersion(long serial, String lineage, String commitId, String blobId)
    implements VersionToken {
  /**
   * Creates a version.
   *
   * @param serial the state's serial
   * @param lineage the state's lineage
   * @param commitId the commit id
   * @param blobId the state file's blob id
   * @throws NullPointerException if a string is null
   */
  public GitVersion {
    Objects.requireNonNull(lineage, "lineage");
    Objects.requireNonNull(commitId, "commitId");
    Objects.requireNonNull(blobId, "blobId");
  }
}
