package io.infrastate.git;

/**
 * How a state is laid out in the tree of a Git commit.
 *
 * <p>A backend reads a state in either layout (the commit's tree tells which one it is) and keeps
 * the layout it found when it writes; its configured layout decides only how a new state is
 * written. {@link GitBackend#migrate(GitLayout, String)} converts a state from one layout to the
 * other in one commit.
 */
public enum GitLayout {
  /**
   * One file, {@code state.json} (the configured path), in the Go-FTL2 format: the default, and the
   * layout Go-FTL2 reads. Every write rewrites the whole file.
   */
  SINGLE_FILE,

  /**
   * One file per entry beside the configured path: {@code hosts/FANOUT/NAME.json}, {@code
   * resources/FANOUT/KEY.json} and {@code metadata.json}, with a constant marker at the configured
   * path. A write changes only the files of the entries it changed, so its cost follows the change,
   * and {@code git log} of one entry's file is that entry's history. See {@code docs/git.md}, "Tree
   * layout".
   */
  TREE;

  /**
   * The layout named in a URI's {@code layout} parameter.
   *
   * @param name {@code single} or {@code tree}
   * @return the layout
   * @throws IllegalArgumentException if the name is neither
   */
  public static GitLayout named(String name) {
    return switch (name) {
      case "single" -> SINGLE_FILE;
      case "tree" -> TREE;
      default -> throw new IllegalArgumentException("layout must be 'single' or 'tree', not '" + name + "'");
    };
  }

  /**
   * The name a URI's {@code layout} parameter and the command line use.
   *
   * @return {@code single} or {@code tree}
   */
  public String uriName() {
    return this == TREE ? "tree" : "single";
  }
}
