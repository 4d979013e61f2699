package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.infrastate.inventory.InventoryException.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BadInventoryTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          not a mapping             | - a\\n- b\\n                                         | NOT_A_MAPPING  | 1
          hosts as a list           | web:\\n  hosts:\\n    - h1\\n    - h2\\n              | NOT_A_MAPPING  | 3
          vars not a map            | web:\\n  vars: [1, 2]\\n                              | NOT_A_MAPPING  | 2
          unknown key               | web:\\n  host:\\n    h1:\\n                            | UNKNOWN_KEY    | 2
          child cycle               | a:\\n  children:\\n    b:\\n      children:\\n        a:\\n | CHILD_CYCLE | 3
          duplicate key             | web:\\n  hosts: {h1: }\\n  hosts: {h2: }\\n             | DUPLICATE_KEY  | 3
          empty                     | '# nothing\\n'                                        | EMPTY          | 0
          syntax                    | 'web: [unclosed\\n'                                   | SYNTAX         | 2
          invalid group name        | web-servers:\\n  hosts: {h1: }\\n                     | INVALID_GROUP_NAME | 1
          vault                     | all:\\n  vars:\\n    s: !vault abc\\n                   | UNSUPPORTED_VALUE | 3
          """)
  void yaml(String name, String text, Kind kind, int line) throws Exception {
    Path f = dir.resolve("bad.yml");
    Files.writeString(f, text.replace("\\n", "\n"), StandardCharsets.UTF_8);
    InventoryException e = catchThrowableOfType(InventoryException.class, () -> AnsibleYaml.read(f));
    assertThat(e).as(name).isNotNull();
    assertThat(e.kind()).as("%s: %s", name, e.getMessage()).isEqualTo(kind);
    assertThat(e.file()).contains(f.toString());
    if (line > 0) {
      assertThat(e.line()).as("%s: %s", name, e.getMessage()).hasValue(line);
    }
    assertThat(e.getMessage()).startsWith(f.toString());
    assertThat(e.retryable()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          unknown section type      | [web:hostz]\\nh1\\n                  | UNKNOWN_KEY        | 1
          child cycle               | [a:children]\\nb\\n[b:children]\\na\\n | CHILD_CYCLE        | 4
          undefined child           | [a:children]\\nnope\\n               | UNDEFINED_GROUP    | 2
          vars of undefined group   | [x:vars]\\na=1\\n                    | UNDEFINED_GROUP    | 1
          var without equals        | [web]\\nh1 novalue\\n                | SYNTAX             | 2
          unclosed quote            | [web]\\nh1 a='x\\n                   | SYNTAX             | 2
          invalid section           | [web servers]\\n                     | SYNTAX             | 1
          invalid group name        | [web-servers]\\nh1\\n                | INVALID_GROUP_NAME | 1
          complex number            | [web]\\nh1 c=1j\\n                   | UNSUPPORTED_VALUE  | 2
          """)
  void ini(String name, String text, Kind kind, int line) throws Exception {
    Path f = dir.resolve("bad.ini");
    Files.writeString(f, text.replace("\\n", "\n"), StandardCharsets.UTF_8);
    InventoryException e = catchThrowableOfType(InventoryException.class, () -> AnsibleIni.read(f));
    assertThat(e).as(name).isNotNull();
    assertThat(e.kind()).as("%s: %s", name, e.getMessage()).isEqualTo(kind);
    assertThat(e.line()).as("%s: %s", name, e.getMessage()).hasValue(line);
    assertThat(e.getMessage()).startsWith(f + ":" + line + ": ");
  }

  @Test
  void transformPolicyAcceptsWhatRejectRefuses() {
    Inventory inv = AnsibleIni.parse("[web-servers]\nh1\n[all:children]\nweb-servers\n", "x.ini", GroupNamePolicy.TRANSFORM);
    assertThat(inv.groupsOf("h1")).containsExactly("web_servers");
  }
}
