package io.infrastate.examples.cli;

import io.infrastate.model.AuditEntry;
import io.infrastate.StateOptions;
import io.infrastate.StateStore;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate workspace …}: the named states of one home (a directory, a repository, a bucket
 * prefix, a database schema), as Terraform's workspaces and Pulumi's stacks. The workspace a
 * command works on is {@code --workspace NAME} or {@code $INFRASTATE_WORKSPACE}, else {@code
 * default}: the state the URI names. Each verb object is not thread-safe; picocli makes one per
 * command line.
 */
@Command(
    name = "workspace",
    description = {
      "Named states in the state's home: list, new, delete, show.",
      "The workspace 'default' is the state the URI names; every command works on the workspace that"
          + " --workspace NAME or $INFRASTATE_WORKSPACE selects. Names are lower-case letters, digits, '-' and '_'.",
    },
    subcommands = {
      WorkspaceCommand.ListWorkspaces.class,
      WorkspaceCommand.New.class,
      WorkspaceCommand.Delete.class,
      WorkspaceCommand.Show.class,
    })
final class WorkspaceCommand {
  private WorkspaceCommand() {}

  /** The audit entry of a workspace change: operator and reason from the global options. */
  private static AuditEntry audit(Root root) {
    String operator = root.operator != null && !root.operator.isBlank() ? root.operator : StateOptions.defaults().operator();
    return new AuditEntry(operator, "", root.reason());
  }

  @Command(name = "list", description = "List the workspaces, the selected one marked with '*'.")
  static final class ListWorkspaces extends Verb {
    ListWorkspaces(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (Root.Selected selected = root.select()) {
        List<String> names = selected.home().workspaces();
        String current = selected.store().workspace();
        if (json()) {
          out().println(Output.json(Output.object("selected", current, "workspaces", names)));
        } else {
          for (String n : names) {
            out().println((n.equals(current) ? "* " : "  ") + n);
          }
          if (!names.contains(current)) {
            err().println("infrastate: note: the selected workspace '" + current + "' does not exist");
          }
        }
        return InfrastateCli.OK;
      }
    }
  }

  @Command(name = "new", description = "Create a workspace (its first version, with no hosts or resources).")
  static final class New extends Verb {
    @Parameters(paramLabel = "NAME", description = "The new workspace's name, such as staging.")
    String name;

    New(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (Root.Selected selected = root.select()) {
        StateStore created = selected.home().createWorkspace(name, audit(root));
        printWorkspace(this, created, "created workspace " + name + " at " + created.location());
        return InfrastateCli.OK;
      }
    }
  }

  @Command(name = "delete", description = {
      "Delete a workspace, its history and its locks. Refused if it still holds hosts or resources, unless"
          + " --force. The deletion is recorded in the default workspace's history ('state history')."})
  static final class Delete extends Verb {
    @Parameters(paramLabel = "NAME", description = "The workspace to delete.")
    String name;

    @Option(names = "--force", description = "Delete even if it holds hosts or resources, or no longer loads.")
    boolean force;

    Delete(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (Root.Selected selected = root.select()) {
        StateStore target = selected.home().workspace(name);
        String location = target.location();
        selected.home().deleteWorkspace(name, force, audit(root));
        print("deleted workspace " + name + " at " + location, "workspace", name, "location", location, "deleted", true);
        return InfrastateCli.OK;
      }
    }
  }

  @Command(name = "show", description = "Print the selected workspace's name (with --json, also where it lives).")
  static final class Show extends Verb {
    Show(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (Root.Selected selected = root.select()) {
        StateStore store = selected.store();
        printWorkspace(this, store, store.workspace());
        return InfrastateCli.OK;
      }
    }
  }

  /** Prints a workspace as JSON, or the text. */
  private static void printWorkspace(Verb verb, StateStore store, String text) {
    if (verb.json()) {
      verb.print(text, "workspace", store.workspace(), "location", store.location(), "exists", store.exists());
    } else {
      verb.out().println(text);
    }
  }
}
