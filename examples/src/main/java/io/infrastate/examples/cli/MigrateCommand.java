package io.infrastate.examples.cli;

import io.infrastate.StateOptions;
import io.infrastate.git.GitBackend;
import io.infrastate.git.GitLayout;
import io.infrastate.spi.Backend;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infrastate state migrate --layout tree|single}: converts a Git state to another layout in
 * one commit ({@link GitBackend#migrate}). The version stays the same; only how it is stored
 * changes.
 *
 * <p>Not thread-safe; picocli makes one per command line.
 */
@Command(name = "migrate", description = {
  "Convert a Git state to another layout in one commit: 'tree' (one file per host and resource) or 'single'"
      + " (one state.json, the Go-FTL2 format).",
  "The version is kept: migrating there and back gives the same state.json."})
final class MigrateCommand extends Verb {
  @Option(names = "--layout", required = true, paramLabel = "LAYOUT", description = "tree or single.")
  String layout;

  MigrateCommand(Root root) {
    super(root);
  }

  @Override
  public Integer call() {
    GitLayout target;
    try {
      target = GitLayout.named(layout);
    } catch (IllegalArgumentException e) {
      throw CliException.usage("Unknown --layout '" + layout + "': use --layout tree or --layout single");
    }
    String operator = root.operator != null && !root.operator.isBlank() ? root.operator
        : StateOptions.defaults().operator();
    try (Root.Selected selected = root.select(); Backend backend = selected.store().backend()) {
      if (!(backend instanceof GitBackend git)) {
        throw CliException.usage("'state migrate' converts Git states (git+… URIs); " + backend.location()
            + " is not one. Nothing was written.");
      }
      boolean changed = git.migrate(target, operator);
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layout", target.uriName());
        m.put("changed", changed);
        out().println(Output.json(m));
      } else {
        out().println(changed ? "migrated " + backend.location() + " to the " + target.uriName() + " layout in one commit"
            : backend.location() + " is already in the " + target.uriName() + " layout; nothing was written");
      }
    }
    return InfrastateCli.OK;
  }
}
