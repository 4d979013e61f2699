package io.infrastate.examples.cli;

import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.Transaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    description = "Add, change, remove and list resources.",
    subcommands = {ResourceCommand.Add.class, ResourceCommand.Set.class, ResourceCommand.Rm.class,
        ResourceCommand.ListVerb.class})
final class ResourceCommand {
  private ResourceCommand() {}

  @Command(
      name = "add",
      description = {
        "Add a resource under KEY, or replace every field of an existing one (its created_at is kept).",
        "KEY is conventionally TYPE:ID; --type and --id default to its two parts.",
        "--data values are typed as for 'host add --var'; --tag values are strings.",
        "To change some fields of an existing resource and keep the others, use 'resource set'.",
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
      Edits.written(this, "resource", key, state.metadata().serial(), existed ? "replaced" : "added", null,
          Output.resource(key, stored, root.showSecrets()));
      if (existed) {
        Edits.noteReplaced(this, "resource", key, "--data");
      }
      return InfrastateCli.OK;
    }
  }

  @Command(
      name = "set",
      description = {
        "Change the fields given of an existing resource and keep the others; one write.",
        "Refused (exit 1) when the resource does not exist, so that a mistyped key adds nothing; --create adds it"
            + " (KEY as TYPE:ID).",
        "--data values are typed as for 'host add --var'; --unset-data and --unset-tag remove one (an unknown one"
            + " is refused).",
      })
  static final class Set extends Verb.OnState {
    @Parameters(paramLabel = "KEY", description = "The resource key, such as linode:12345678.")
    String key;

    @Option(names = "--name", paramLabel = "NAME", description = "A human-readable name.")
    String name;

    @Option(names = "--data", paramLabel = "KEY=VALUE", description = "Set a data field; repeat for more.")
    List<String> data;

    @Option(names = "--secret-data", paramLabel = "KEY=VALUE", description = "Set a secret data field (needs the"
        + " key); repeat for more.")
    List<String> secretData;

    @Option(names = "--unset-data", paramLabel = "KEY", description = "Remove a data field; repeat for more.")
    List<String> unsetData;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "Set a tag; repeat for more.")
    List<String> tags;

    @Option(names = "--unset-tag", paramLabel = "KEY", description = "Remove a tag; repeat for more.")
    List<String> unsetTags;

    @Option(names = "--create", description = "Add the resource when it does not exist (default: refuse).")
    boolean create;

    Set(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Map<String, Object> typed = Inputs.typed(data, "--data");
      Map<String, String> secrets = Inputs.strings(secretData, "--secret-data");
      Map<String, String> tagValues = Inputs.strings(tags, "--tag");
      List<String> unsetD = Edits.unset(unsetData, "--unset-data", k -> "a value for " + k, typed, secrets);
      List<String> unsetT = Edits.unset(unsetTags, "--unset-tag", k -> "--tag " + k + "=…", tagValues);
      boolean[] existed = new boolean[1];
      Snapshot after = root.update(state, root.audit(""), tx -> {
        Optional<ResourceState> old = tx.getResource(key);
        existed[0] = old.isPresent();
        if (old.isEmpty() && !create) {
          throw Edits.missing("resource", key, state);
        }
        ResourceState base = old.orElseGet(() -> fresh(key));
        Map<String, Object> d = Edits.patch(base.data(), unsetD, typed, "Resource " + key + " has no data field");
        secrets.keySet().forEach(d::remove);
        Map<String, String> t = Edits.patch(base.tags(), unsetT, tagValues, "Resource " + key + " has no tag");
        ResourceState.Builder b = ResourceState.builder(base.type(), base.id())
            .name(name != null ? name : base.name()).data(d).tags(t);
        secrets.forEach(b::secretData);
        tx.addResource(key, b.build());
      });
      ResourceState stored = after.getResource(key).orElseThrow();
      Edits.written(this, "resource", key, after.metadata().serial(), existed[0] ? "updated" : "added", !existed[0],
          Output.resource(key, stored, root.showSecrets()));
      return InfrastateCli.OK;
    }

    private static ResourceState fresh(String key) {
      int colon = key.indexOf(':');
      if (colon <= 0 || colon == key.length() - 1) {
        throw CliException.usage("Resource key '" + key + "' is not TYPE:ID; 'resource set --create' needs one, such"
            + " as linode:12345678 (or use 'resource add' with --type and --id)");
      }
      return ResourceState.builder(key.substring(0, colon), key.substring(colon + 1)).build();
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
      return Edits.remove(this, state, keys, "resource", Transaction::removeResource);
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
        if ((type == null || r.type().equals(type)) && !k.equals(GroupNames.KEY)) {
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
