package io.infrastate.inventory.internal;

import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * SnakeYAML's resolver with PyYAML's implicit-type rules (the YAML 1.1 set that Ansible's loader
 * uses), copied from {@code yaml/resolver.py} of PyYAML 6: {@code yes/no/on/off} are booleans,
 * {@code 0755} is octal, {@code 1e3} is a string (floats need a dot, exponents a sign), {@code 1:30}
 * is base 60, {@code 2024-01-15} is a timestamp, {@code =} is the value tag (which Ansible cannot
 * construct). SnakeYAML's own rules differ in a few places ({@code 1e3} is a float there), so
 * reading with them would type some scalars differently from Ansible, and writing with them would
 * leave some strings unquoted that Ansible reads as non-strings. Not part of the API.
 */
public final class PyYamlResolver extends Resolver {

  /** The value tag of YAML 1.1 ({@code =}). */
  public static final Tag VALUE = new Tag(Tag.PREFIX + "value");

  /** Creates the resolver. */
  public PyYamlResolver() {
    super();
  }

  @Override
  protected void addImplicitResolvers() {
    int any = Integer.MAX_VALUE;
    addImplicitResolver(
        Tag.BOOL,
        Pattern.compile(
            "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
        "yYnNtTfFoO",
        any);
    addImplicitResolver(
        Tag.FLOAT,
        Pattern.compile(
            "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
                + "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
                + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
                + "|[-+]?\\.(?:inf|Inf|INF)"
                + "|\\.(?:nan|NaN|NAN))$"),
        "-+0123456789.",
        any);
    addImplicitResolver(
        Tag.INT,
        Pattern.compile(
            "^(?:[-+]?0b[0-1_]+"
                + "|[-+]?0[0-7_]+"
                + "|[-+]?(?:0|[1-9][0-9_]*)"
                + "|[-+]?0x[0-9a-fA-F_]+"
                + "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"),
        "-+0123456789",
        any);
    addImplicitResolver(Tag.MERGE, Pattern.compile("^(?:<<)$"), "<", any);
    addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL|)$"), "~nN\0", any);
    addImplicitResolver(
        Tag.TIMESTAMP,
        Pattern.compile(
            "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
                + "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
                + "(?:[Tt]|[ \\t]+)[0-9][0-9]?"
                + ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?"
                + "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
        "0123456789",
        any);
    addImplicitResolver(VALUE, Pattern.compile("^(?:=)$"), "=", any);
    addImplicitResolver(new Tag(Tag.PREFIX + "yaml"), Pattern.compile("^(?:!|&|\\*)$"), "!&*", any);
  }
}
