package io.infrastate.examples.cli;

import io.infrastate.ResourceState;
import io.infrastate.Snapshot;
import io.infrastate.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate resource …}: add, remove and list resources.
 *
 * <p>Each verb object is not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "resource",
    description = "Add, remove and list resources.",
    subcommands = {ResourceCommand.Add.class, ResourceCommand.Rm.class, ResourceCommand.ListVerb.class})
final class ResourceCommand {
  private ResourceCommand() {}

  @Command(
      name = "add",
      description = {
        "Add a resource under KEY, or replace every field of an existing one (its created_at is kept).",
        "KEY is conventionally TYPE:ID; --type and --id default to its two parts.",
        "--data values are typed as for 'host add --var'; --tag values are strings.",
      })
  static final class Add extends Verb.OnState {
    @Parameters(paramLabel = "KEY", description = "The resource key, such as linode:12345678.")
    String key;

    @Option(names = "--type", paramLabel = "TYPE", description = "The resource type (default: the part of KEY before ':').")
    String type;

    @Option(names = "--id", paramLabel = "ID", description = "The provider's id (default: the part of KEY after ':').")
    String id;

    @Option(names = "--name", paramLabel = "NAME", description = "A human-readable name.")
    String name = "";

    @Option(names = "--data", paramLabel = "KEY=VALUE", description = "A data field; repeat for more.")
    List<String> data;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "A tag; repeat for more.")
    List<String> tags;

    @Option(names = "--secret-data", paramLabel = "KEY=VALUE", description = "A secret data field, stored encrypted"
        + " and printed as [secret] (needs the key: $INFRASTATE_PASSPHRASE or --key-file); repeat for more.")
    List<String> secretData;

    Add(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      int colon = key.indexOf(':');
      String t = type != null ? type : colon > 0 ? key.substring(0, colon) : null;
      String i = id != null ? id : colon > 0 && colon < key.length() - 1 ? key.substring(colon + 1) : null;
      if (t == null || i == null) {
        throw CliException.usage(
            "Resource key '" + key + "' is not TYPE:ID; give --type and --id, such as --type linode --id 12345678");
      }
      ResourceState.Builder builder = ResourceState.builder(t, i)
          .name(name).data(Inputs.typed(data, "--data")).tags(Inputs.strings(tags, "--tag"));
      Inputs.strings(secretData, "--secret-data").forEach(builder::secretData);
      ResourceState r = builder.build();
      boolean existed = state.hasResource(key);
      ResourceState stored = root.update(state, root.audit(""), tx -> tx.addResource(key, r)).getResource(key).orElseThrow();
      long serial = state.metadata().serial();
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", serial);
        m.put("resource", Output.resource(key, stored, root.showSecrets()));
        out().println(Output.json(m));
      } else {
        out().println((existed ? "updated" : "added") + " resource " + key + " (serial " + serial + ")");
      }
      return InfrastateCli.OK;
    }
  }

  @Command(name = "rm", description = "Remove resources, all in one write (or none if one is unknown).")
  static final class Rm extends Verb.OnState {
    @Parameters(paramLabel = "KEY", arity = "1..*", description = "Resource keys.")
    List<String> keys;

    Rm(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Snapshot after = root.update(state, root.audit(""), tx -> {
        for (String k : new LinkedHashSet<>(keys)) {
          if (!tx.removeResource(k)) {
            throw CliException.error(
                "No resource '" + k + "' in " + state.location() + "; nothing was removed. See 'infrastate resource list'");
          }
        }
      });
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("removed", new ArrayList<>(new LinkedHashSet<>(keys)));
        m.put("serial", after.metadata().serial());
        out().println(Output.json(m));
      } else {
        new LinkedHashSet<>(keys).forEach(k -> out().println("removed resource " + k));
        out().println("serial " + after.metadata().serial());
      }
      return InfrastateCli.OK;
    }
  }

  @Command(name = "list", description = "List resources in key order.")
  static final class ListVerb extends Verb.OnState {
    @Option(names = "--type", paramLabel = "TYPE", description = "Only resources of this type.")
    String type;

    ListVerb(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Map<String, ResourceState> resources = new LinkedHashMap<>();
      state.allResources().forEach((k, r) -> {
        if (type == null || r.type().equals(type)) {
          resources.put(k, r);
        }
      });
      if (json()) {
        List<Object> list = new ArrayList<>();
        resources.forEach((k, r) -> list.add(Output.resource(k, r, root.showSecrets())));
        out().println(Output.json(list));
        return InfrastateCli.OK;
      }
      noteIfAbsent(state);
      List<List<String>> rows = new ArrayList<>();
      resources.forEach((k, r) -> rows.add(List.of(k, r.type(), r.id(), r.name(), Output.pairs(r.tags()))));
      Output.table(out(), List.of("KEY", "TYPE", "ID", "NAME", "TAGS"), rows);
      return InfrastateCli.OK;
    }
  }
}
