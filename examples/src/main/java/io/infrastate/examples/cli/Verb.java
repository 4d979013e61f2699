package io.infrastate.examples.cli;

import io.infrastate.State;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A leaf command: reaches the global options through the {@link Root} and prints through picocli's
 * writers. Not thread-safe; one per command line.
 */
abstract class Verb implements Callable<Integer> {
  final Root root;

  @Spec CommandSpec spec;

  Verb(Root root) {
    this.root = root;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  boolean json() {
    return root.json;
  }

  /**
   * Prints the result of a verb: {@code line}, or with {@code --json} the object of {@code pairs}
   * ({@link Output#object}).
   */
  void print(String line, Object... pairs) {
    out().println(json() ? Output.json(Output.object(pairs)) : line);
  }

  /** A verb that works on the state: opens it, runs, closes it. */
  abstract static class OnState extends Verb {
    OnState(Root root) {
      super(root);
    }

    @Override
    public final Integer call() {
      try (Root.Handle handle = root.openHandle()) {
        return run(handle.state());
      }
    }

    abstract int run(State state);

    /** Whether anything is stored yet (a never-written state has serial 0 and no content). */
    static boolean stored(State state) {
      return state.metadata().serial() > 0 || !state.allHosts().isEmpty() || !state.allResources().isEmpty();
    }

    /** For tables of an empty state: a note on stderr that nothing is stored at that location. */
    void noteIfAbsent(State state) {
      if (!json() && !stored(state)) {
        err().println("infrastate: note: no state is stored at " + state.location() + " yet");
      }
    }
  }
}
