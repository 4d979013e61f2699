package io.infrastate;

import io.infrastate.model.WorkspaceException;
import io.infrastate.model.WorkspaceException.Problem;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.Snapshot;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One workspace of a state home, as {@link Infrastate#at(String)} resolved it: the state ({@link
 * #open()}), the lock provider beside it ({@link #locks()}), and the other workspaces of the same
 * home ({@link #workspace(String)}, {@link #workspaces()}, {@link #createWorkspace}, {@link
 * #deleteWorkspace}).
 *
 * <h2>Workspaces</h2>
 *
 * A home (a directory, a Git repository, an S3 key, a PostgreSQL schema) holds named states. The
 * workspace {@value #DEFAULT_WORKSPACE} is the state the URI named before workspaces existed, so
 * existing URIs and files keep working unchanged; it always exists (possibly with no version yet)
 * and cannot be created or deleted. Another workspace exists once {@link #createWorkspace} wrote
 * its first version; opening or locking one that does not exist is refused ({@link
 * Problem#NOT_FOUND}), so that a mistyped name never creates a state. Each workspace has its own
 * history and its own locks: a lock in one never blocks another.
 *
 * <h2>Deleting, and its record</h2>
 *
 * {@link #deleteWorkspace} refuses a workspace that still holds hosts or resources unless forced.
 * Before it removes anything it writes the record of the deletion as a new version of the default
 * workspace: that version changes nothing, and its audit entry (operator, reason, and the operation
 * {@code delete workspace NAME} with the deleted state's last serial, lineage and size) is in the
 * default workspace's history, where {@code state history} shows it. The default workspace is the
 * home's ledger; if it had no version yet, this record is its first. If the removal then fails,
 * the workspace is still there and a second delete finishes it (writing a second record). A
 * write that lands in the workspace between the emptiness check and the removal is lost with it:
 * take the workspace's lock around the deletion when writers may still be running.
 *
 * <h2>Closing</h2>
 *
 * The store from {@link Infrastate#at(String)} owns the home's clients and connections and closes
 * them; stores from {@link #workspace(String)} share them, and closing one of those does nothing.
 * States, backends and lock providers it returns are closed by their callers, before the store.
 *
 * <p>Instances are thread-safe.
 */
public final class StateStore implements AutoCloseable {
  /** The name of the default workspace: the state the URI names. */
  public static final String DEFAULT_WORKSPACE = StateHome.DEFAULT;

  /** The rule workspace names follow, as error messages state it. */
  public static final String WORKSPACE_NAME_RULE =
      "1 to 63 characters of lower-case letters a-z, digits 0-9, '-' and '_', starting with a letter or a digit";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  private final StateHome home;
  private final String workspace;
  private final boolean owner;

  private StateStore(StateHome home, String workspace, boolean owner) {
    this.home = home;
    this.workspace = workspace;
    this.owner = owner;
  }

  static StateStore root(StateHome home) {
    return new StateStore(Objects.requireNonNull(home, "home"), DEFAULT_WORKSPACE, true);
  }

  /**
   * Checks a workspace name against {@link #WORKSPACE_NAME_RULE}.
   *
   * @param name the name
   * @return the name
   * @throws WorkspaceException ({@link Problem#INVALID_NAME}) if it breaks the rule
   */
  public static String validateName(String name) {
    if (!isValidName(name)) {
      String shown = name == null ? "null" : "'" + (name.length() > 80 ? name.substring(0, 80) + "…" : name) + "'";
      throw new WorkspaceException(Problem.INVALID_NAME, name == null ? "" : name,
          "Workspace name " + shown + " is invalid: a name is " + WORKSPACE_NAME_RULE + ", such as 'staging'"
              + " or 'prod-eu'.");
    }
    return name;
  }

  /**
   * Whether a name follows {@link #WORKSPACE_NAME_RULE}, for backends that list what storage holds.
   *
   * @param name the name
   * @return {@code true} if it is a valid workspace name
   */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * The name of this store's workspace.
   *
   * @return {@value #DEFAULT_WORKSPACE} or another valid name
   */
  public String workspace() {
    return workspace;
  }

  /**
   * Where this workspace's state lives, without credentials: its URI in the backend's grammar.
   *
   * @return the location
   */
  public String location() {
    return home.location(workspace);
  }

  /**
   * The store of another workspace of the same home. Contacts no storage: whether it exists is
   * checked when it is used.
   *
   * @param name a workspace name
   * @return a store sharing this one's home; closing it does nothing
   * @throws WorkspaceException if the name is invalid, or the backend has no workspaces besides the
   *     default
   */
  public StateStore workspace(String name) {
    validateName(name);
    if (!name.equals(DEFAULT_WORKSPACE)) {
      home.uri(name);
    }
    return new StateStore(home, name, false);
  }

  /**
   * The workspaces of the home: {@value #DEFAULT_WORKSPACE} first, then those that exist, by name.
   *
   * @return workspace names
   * @throws BackendException if the storage cannot be listed
   */
  public List<String> workspaces() {
    List<String> names = new ArrayList<>();
    names.add(DEFAULT_WORKSPACE);
    for (String n : home.workspaces()) {
      if (!n.equals(DEFAULT_WORKSPACE)) {
        names.add(n);
      }
    }
    return List.copyOf(names);
  }

  /**
   * Whether this workspace exists: always for the default one, otherwise once it was created.
   *
   * @return {@code true} if it exists
   * @throws BackendException if the storage cannot be listed
   */
  public boolean exists() {
    return workspace.equals(DEFAULT_WORKSPACE) || home.workspaces().contains(workspace);
  }

  /**
   * Loads this workspace's state with the default options. The state owns its backend.
   *
   * @return a new handle; the caller closes it
   * @throws WorkspaceException ({@link Problem#NOT_FOUND}) if this workspace does not exist
   * @throws CorruptStateException if the stored state is damaged
   * @throws BackendException if storage cannot be read
   */
  public State open() {
    return open(StateOptions.defaults());
  }

  /**
   * Loads this workspace's state with options; see {@link #open()}.
   *
   * @param options clock, operator, retries, validators
   * @return a new handle; the caller closes it
   * @throws WorkspaceException ({@link Problem#NOT_FOUND}) if this workspace does not exist
   */
  public State open(StateOptions options) {
    return State.own(backend(), options);
  }

  /**
   * Opens this workspace's backend, for callers that wrap it (such as {@code
   * Keyring.protect(backend)}) before {@link State#load(Backend, StateOptions)}.
   *
   * @return a new backend; the caller closes it
   * @throws WorkspaceException ({@link Problem#NOT_FOUND}) if this workspace does not exist
   */
  public Backend backend() {
    requireExists();
    return home.open(workspace);
  }

  /**
   * The lock provider beside this workspace's state, with the default options.
   *
   * @return a new lock provider; the caller closes it
   * @throws WorkspaceException ({@link Problem#NOT_FOUND}) if this workspace does not exist
   * @throws UnknownBackendException if the backend keeps no locks beside its states
   */
  public LockProvider locks() {
    return locks(LockOptions.defaults());
  }

  /**
   * The lock provider beside this workspace's state: a file state's {@code <file>.locks/}
   * directory, objects beside an S3 key, refs of a Git repository, rows of a PostgreSQL schema.
   *
   * @param options clock, operator, listener
   * @return a new lock provider; the caller closes it
   * @throws WorkspaceException ({@link Problem#NOT_FOUND}) if this workspace does not exist
   * @throws UnknownBackendException if the backend keeps no locks beside its states
   */
  public LockProvider locks(LockOptions options) {
    requireExists();
    return home.locks(workspace, Objects.requireNonNull(options, "options"));
  }

  /**
   * Creates a workspace: writes its first version, with no hosts or resources.
   *
   * @param name the new workspace's name
   * @param audit who and why (the operation is {@code create workspace NAME} unless given)
   * @return the new workspace's store, sharing this one's home
   * @throws WorkspaceException if the name is invalid ({@link Problem#INVALID_NAME}), is {@value
   *     #DEFAULT_WORKSPACE} ({@link Problem#DEFAULT_WORKSPACE}) or exists ({@link Problem#EXISTS})
   * @throws BackendException if the storage cannot be written
   */
  public StateStore createWorkspace(String name, AuditEntry audit) {
    StateStore created = workspace(name);
    if (name.equals(DEFAULT_WORKSPACE)) {
      throw new WorkspaceException(Problem.DEFAULT_WORKSPACE, name, "The workspace '" + DEFAULT_WORKSPACE
          + "' always exists: it is the state the URI names. Choose another name.");
    }
    if (home.workspaces().contains(name)) {
      throw new WorkspaceException(Problem.EXISTS, name, "Workspace '" + name + "' exists already at "
          + created.location() + "; nothing was written. Select it with the workspace name, or delete it first.");
    }
    try (State state = State.own(home.open(name), StateOptions.defaults())) {
      if (state.metadata().serial() > 0) {
        throw new WorkspaceException(Problem.EXISTS, name, "Workspace '" + name + "' exists already at "
            + created.location() + "; nothing was written.");
      }
      state.save(withOperation(audit, "create workspace " + name));
    }
    return created;
  }

  /**
   * Deletes a workspace: records the deletion in the default workspace's history, then removes the
   * workspace's state, history and locks (see the class documentation for the record).
   *
   * @param name the workspace to delete
   * @param force delete even if it holds hosts or resources, or can no longer be loaded (damaged,
   *     of another lineage or of a newer format)
   * @param audit who and why; the operation recorded is {@code delete workspace NAME (…)}
   * @throws WorkspaceException if the name is invalid ({@link Problem#INVALID_NAME}), is {@value
   *     #DEFAULT_WORKSPACE} ({@link Problem#DEFAULT_WORKSPACE}), does not exist ({@link
   *     Problem#NOT_FOUND}), or holds hosts or resources and {@code force} is false ({@link
   *     Problem#NOT_EMPTY}); nothing was written then
   * @throws BackendException if the storage cannot be read or changed
   */
  public void deleteWorkspace(String name, boolean force, AuditEntry audit) {
    StateStore target = workspace(name);
    if (name.equals(DEFAULT_WORKSPACE)) {
      throw new WorkspaceException(Problem.DEFAULT_WORKSPACE, name, "The workspace '" + DEFAULT_WORKSPACE
          + "' cannot be deleted: it is the state the URI names and holds the record of deleted workspaces."
          + " Remove its hosts and resources instead.");
    }
    String summary;
    try (State state = target.open()) {
      summary = summarize(name, state.snapshot(), force);
    } catch (CorruptStateException | LineageMismatchException | UnsupportedFormatVersionException e) {
      if (!force) {
        throw e;
      }
      summary = "delete workspace " + name + " (unreadable: " + e.getClass().getSimpleName() + ")";
    }
    try (State ledger = State.own(home.open(DEFAULT_WORKSPACE), StateOptions.defaults())) {
      ledger.save(Objects.requireNonNull(audit, "audit").withOperation(summary));
    }
    home.remove(name);
  }

  private static String summarize(String name, Snapshot s, boolean force) {
    int hosts = s.hosts().size();
    int resources = s.resources().size();
    if (!force && (hosts > 0 || resources > 0)) {
      throw new WorkspaceException(Problem.NOT_EMPTY, name, "Workspace '" + name + "' holds " + hosts
          + " host(s) and " + resources + " resource(s); nothing was deleted. Remove them first, or force the"
          + " deletion (its history goes with it).");
    }
    return "delete workspace " + name + " (serial " + s.metadata().serial() + ", lineage "
        + s.metadata().lineage() + ", " + hosts + " host(s), " + resources + " resource(s))";
  }

  private static AuditEntry withOperation(AuditEntry audit, String operation) {
    Objects.requireNonNull(audit, "audit");
    return audit.operation() == null || audit.operation().isEmpty() ? audit.withOperation(operation) : audit;
  }

  private void requireExists() {
    if (!exists()) {
      throw new WorkspaceException(Problem.NOT_FOUND, workspace, "Workspace '" + workspace + "' does not exist"
          + " at " + location() + "; the workspaces are " + workspaces() + ". Create it first: workspace new "
          + workspace + ".");
    }
  }

  /**
   * Closes the home's clients and connections if this store came from {@link Infrastate#at}; a
   * store of {@link #workspace(String)} closes nothing.
   */
  @Override
  public void close() {
    if (owner) {
      home.close();
    }
  }

  @Override
  public String toString() {
    return "StateStore[" + workspace + " at " + location() + "]";
  }
}
