package io.infrastate.examples.cli;

import java.lang.reflect.Constructor;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Builds the picocli command tree of the CLI: the whole tree, or for a command line that plainly
 * names one top-level command, the root with only that command's branch. Stateless and
 * thread-safe; the trees it builds are not.
 */
final class CommandTree {
  /*
   * Design notes: why a partial tree behaves as the whole one.
   *
   * Start-up. picocli builds the model of every command it is given (annotations, reflection,
   * help sections) before it parses anything; for the ~45 commands of the CLI that is most of a
   * short command's run time. A command line runs exactly one branch of the tree, so the tree is
   * built for that branch only when the branch can be told from the arguments without parsing them.
   *
   * Sameness. picocli parses a command line from left to right; the root's options come first, then
   * the name of a top-level command, then everything else is parsed by that command's branch, which
   * is built as in the whole tree (its own subcommands from its annotation, the root's inherited
   * options added by addSubcommand as the whole tree adds them). The registered siblings matter
   * only at the root: for matching a command name, and for the root's usage help and its
   * "did you mean" suggestions. So the partial tree is used only when the root's part of the
   * command line is one picocli would parse as the scan does: each argument before the command is
   * exactly a name of a root option (a value-taking one followed by a value that does not start
   * with '-' or '@', or joined to it by '='), with no usage help requested, no '--', no @-file, and
   * the command is a known name that does not read the tree itself (help, completion). Anything
   * else (no command, an unknown one, an unclear option) gets the whole tree, so usage, errors and
   * suggestions are picocli's own. A lone --version needs no command and gets the bare root.
   */

  /** Commands that read the whole tree: the help of another command, the completion script. */
  private static final Set<Class<?>> READ_THE_TREE = Set.of(CommandLine.HelpCommand.class, CompletionCommand.class);

  private CommandTree() {}

  /**
   * The whole tree: the root and every command of {@link Root#COMMANDS}.
   *
   * @param root the root command object
   * @return the command line
   */
  static CommandLine whole(Root root) {
    Factory factory = new Factory(root);
    return addAll(new CommandLine(root, factory), factory);
  }

  /**
   * The tree {@code args} need: the root with the one top-level command they name, the bare root
   * for a lone {@code --version}, else the whole tree.
   *
   * @param root the root command object
   * @param args the command line
   * @return the command line
   */
  static CommandLine forArgs(Root root, String[] args) {
    Factory factory = new Factory(root);
    CommandLine cmd = new CommandLine(root, factory);
    CommandSpec spec = cmd.getCommandSpec();
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.isEmpty() || a.startsWith("@")) {
        return addAll(cmd, factory);
      }
      if (!a.startsWith("-")) {
        Class<?> c = named(a);
        if (c == null || READ_THE_TREE.contains(c)) {
          return addAll(cmd, factory);
        }
        return cmd.addSubcommand(branch(c, factory));
      }
      int eq = a.startsWith("--") ? a.indexOf('=') : -1;
      OptionSpec o = option(spec, eq > 0 ? a.substring(0, eq) : a);
      boolean takesValue = o != null && o.arity().max() > 0;
      if (o == null || o.usageHelp() || eq > 0 && !takesValue) {
        return addAll(cmd, factory);
      }
      version |= o.versionHelp();
      if (takesValue && eq < 0) {
        i++;
        if (i == args.length || args[i].startsWith("-") || args[i].startsWith("@")) {
          return addAll(cmd, factory);
        }
      }
    }
    return version ? cmd : addAll(cmd, factory);
  }

  /** Adds every top-level command to the root. */
  private static CommandLine addAll(CommandLine cmd, Factory factory) {
    for (Class<?> c : Root.COMMANDS) {
      cmd.addSubcommand(branch(c, factory));
    }
    return cmd;
  }

  /** A top-level command with its own subcommands, as its annotation declares them. */
  private static CommandLine branch(Class<?> c, Factory factory) {
    try {
      return new CommandLine(factory.create(c), factory);
    } catch (Exception e) {
      throw new CommandLine.InitializationException("cannot create the command " + c.getSimpleName() + ": " + e, e);
    }
  }

  /** The top-level command called {@code name} (by its name or an alias), or null. */
  private static Class<?> named(String name) {
    for (Class<?> c : Root.COMMANDS) {
      Command command = c.getAnnotation(Command.class);
      if (command.name().equals(name) || Set.of(command.aliases()).contains(name)) {
        return c;
      }
    }
    return null;
  }

  /** The root's option called exactly {@code name} (picocli's own lookup also strips dashes), or null. */
  private static OptionSpec option(CommandSpec spec, String name) {
    for (OptionSpec o : spec.options()) {
      if (Set.of(o.names()).contains(name)) {
        return o;
      }
    }
    return null;
  }

  /** Creates command objects, handing each one the root so it can reach the global options. */
  private static final class Factory implements CommandLine.IFactory {
    private final Root root;

    Factory(Root root) {
      this.root = root;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
      Constructor<K> withRoot;
      try {
        withRoot = cls.getDeclaredConstructor(Root.class);
      } catch (NoSuchMethodException e) {
        return CommandLine.defaultFactory().create(cls);
      }
      return withRoot.newInstance(root);
    }
  }
}
