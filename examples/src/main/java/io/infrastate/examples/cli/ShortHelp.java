package io.infrastate.examples.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Short help for the verbs: {@code infrastate host set --help} shows the verb's own options and one
 * line pointing to {@code infrastate --help} for the global options, exit codes and state URIs,
 * instead of repeating them under every verb. Also the "did you mean" hint of a mistyped verb or
 * option. Stateless and thread-safe.
 */
final class ShortHelp {
  private ShortHelp() {}

  /** Makes the help of every command below {@code root} short. */
  static void apply(CommandLine root) {
    for (CommandLine sub : root.getSubcommands().values()) {
      shorten(sub);
    }
  }

  private static void shorten(CommandLine cmd) {
    CommandLine.Model.UsageMessageSpec usage = cmd.getCommandSpec().usageMessage();
    usage.abbreviateSynopsis(true);
    usage.footer(new String[0]);
    usage.footerHeading("");
    usage.exitCodeList(java.util.Map.of());
    usage.exitCodeListHeading("");
    cmd.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, new OwnOptions());
    cmd.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, new Footer());
    for (CommandLine sub : cmd.getSubcommands().values()) {
      shorten(sub);
    }
  }

  /*
   * The renderers are classes, not lambdas: a lambda for picocli's (Java 5) IHelpSectionRenderer
   * keeps that interface, and picocli's own renderers with it, out of the class-data-sharing archive.
   */

  /** The options the verb declares itself, and its help option. */
  private static final class OwnOptions implements CommandLine.IHelpSectionRenderer {
    @Override
    public String render(Help help) {
      Help.Layout layout = help.createDefaultLayout();
      for (OptionSpec o : help.commandSpec().options()) {
        if (!o.inherited() && !o.hidden()) {
          layout.addOption(o, help.parameterLabelRenderer());
        }
      }
      return layout.toString();
    }
  }

  /** One line pointing to the root's help instead of its footer. */
  private static final class Footer implements CommandLine.IHelpSectionRenderer {
    @Override
    public String render(Help help) {
      return String.format("%nGlobal options (--state, --json, --lock, --operator, …), exit codes and state URIs:"
          + "%n'infrastate --help'.%n");
    }
  }

  /**
   * What a mistyped verb or option was probably meant to be, as {@code "; did you mean 'list'?"},
   * or empty.
   */
  static String suggestion(CommandLine.ParameterException e) {
    if (!(e instanceof CommandLine.UnmatchedArgumentException u)) {
      return "";
    }
    List<String> s = u.getSuggestions();
    if (s.isEmpty()) {
      return "";
    }
    return " Did you mean " + String.join(" or ", s.stream().limit(3).map(x -> "'" + x + "'").toList()) + "?";
  }
}
