package io.infrastate.examples.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code infrastate completion}: prints picocli's bash (and zsh) completion script for every verb
 * and option. Not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "completion",
    description = {
      "Print the bash completion script (it also works in zsh after 'autoload -U +X bashcompinit && bashcompinit').",
      "  source <(infrastate completion)     # this shell",
      "  infrastate completion > /etc/bash_completion.d/infrastate",
    })
final class CompletionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("infrastate", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return InfrastateCli.OK;
  }
}
