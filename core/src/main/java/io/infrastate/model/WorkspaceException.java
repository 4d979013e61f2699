package io.infrastate.model;


/**
 * A workspace request that cannot be done: the name breaks the naming rule, the workspace does not
 * exist (or already does), it still holds hosts or resources, it is the default workspace, or the
 * backend keeps a single state. {@link #problem()} says which, so that a caller can act on it.
 * Nothing was written when this is thrown.
 */
public class WorkspaceException extends StateException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with a workspace request. */
  public enum Problem {
    /** The name breaks the naming rule ({@link io.infrastate.StateStore#WORKSPACE_NAME_RULE}). */
    INVALID_NAME,
    /** The workspace does not exist. */
    NOT_FOUND,
    /** The workspace to create exists already. */
    EXISTS,
    /** The workspace to delete still holds hosts or resources, and deletion was not forced. */
    NOT_EMPTY,
    /** The request is not allowed on the default workspace (it cannot be created or deleted). */
    DEFAULT_WORKSPACE,
    /** The backend keeps one state per URI and has no workspaces besides the default. */
    UNSUPPORTED
  }

  /** What was wrong with the request. */
  private final Problem problem;
  /** The workspace name the request gave. */
  private final String workspace;

  /**
   * Creates the error.
   *
   * @param problem what is wrong
   * @param workspace the workspace name as given
   * @param message what happened, to what, and what to do
   */
  public WorkspaceException(Problem problem, String workspace, String message) {
    super(message);
    this.problem = problem;
    this.workspace = workspace;
  }

  /**
   * What is wrong.
   *
   * @return the problem
   */
  public Problem problem() {
    return problem;
  }

  /**
   * The workspace name the request gave.
   *
   * @return the name, possibly invalid
   */
  public String workspace() {
    return workspace;
  }
}
