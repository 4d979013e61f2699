package io.infrastate.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.Json;
import io.infrastate.inventory.internal.PyLiteral;
import io.infrastate.inventory.internal.Shlex;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Differential test against the Python that Ansible runs on: literal_eval (INI typing), shlex.split
 * (INI host lines) and PyYAML scalar typing, for hand-picked and random inputs. Needs python3 with
 * PyYAML, which ansible-core brings; skipped (or failed under CI) like the other real-Ansible tests. YAML is
 * checked with libyaml's CSafeLoader where present, as Ansible uses it.
 */
class PythonOracleTest {
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  @TempDir Path dir;

  static final List<String> LITERALS =
      List.of(
          "80", "-5", "+5", "- 5", "--5", "1_000", "1__0", "0", "00", "007", "0x1F", "0o17", "0b101",
          "1.5", "1.", ".5", "1e3", "1E-3", "1e", "1.e5", "1_0.5", "True", "False", "None", "true",
          "yes", "'a'", "\"b\"", "'a' 'b'", "'''t'''", "r'\\n'", "'\\n\\t\\x41\\u00e9\\101'",
          "b'abc'", "u'x'", "f'x'", "[1, 'two', 3.5, None]", "[1,]", "(1, 2)", "(1)", "()", "1, 2",
          "{'a': 1, 'b': [2]}", "{}", "{'a': 1,}", "a b # c", "5 # five", "[1] # x", "", " ", "hello",
          "héllo", "1 + 2", "-True", "[", "'unclosed", "{'a'}", "1j", "1+2j", "set()", "...",
          "{1: 2}", "1e400", "[b'x']", "0xg", "5abc", "'\\N{BULLET}'", "(-5)", "-(5)", "-(-5)", "1+(-2j)", "-(1+2j)");

  static final List<String> SHLEX =
      List.of(
          "h1 a=1 b='x y' c=\"q \\\" d\"", "h1 a=1#c", "h1 a=1 # c", "h1 'a'b\"c\" d\\ e",
          "h1 a=\"80\"", "h1 a='\"80\"'", "h1 ''", "h1 a=\\#x", "h1\ta=b\tc=d");

  @Test
  void literalEvalShlexAndYamlTypingMatchPython() throws Exception {
    AnsibleCli.assumeAvailable();
    List<String> literals = new ArrayList<>(LITERALS);
    List<String> scalars = new ArrayList<>(Fixtures.TRICKY_STRINGS);
    Random random = new Random(42);
    String alphabet = "0123456789_.:+-eExXbBoOjJ '\"[](){},#tTrRuUNn\\";
    for (int i = 0; i < 400; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 1 + random.nextInt(8);
      for (int k = 0; k < len; k++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      literals.add(sb.toString());
      if (sb.indexOf("'") < 0 && sb.indexOf("\"") < 0 && sb.indexOf("#") < 0) {
        scalars.add(sb.toString().strip());
      }
    }
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("literals", literals);
    input.put("shlex", SHLEX);
    input.put("scalars", scalars);
    Path in = dir.resolve("in.json");
    Files.writeString(in, MAPPER.writeValueAsString(input), StandardCharsets.UTF_8);
    Path script = dir.resolve("oracle.py");
    Files.writeString(script, ORACLE, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("python3", script.toString(), in.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    @SuppressWarnings("unchecked")
    Map<String, List<Object>> expected = MAPPER.readValue(out, Map.class);

    SoftAssertions soft = new SoftAssertions();
    for (int i = 0; i < literals.size(); i++) {
      Object py = expected.get("literals").get(i);
      Object mine;
      try {
        mine = Json.freeze(PyLiteral.eval(literals.get(i)), "v");
      } catch (PyLiteral.Unsupported e) {
        mine = "<UNSUPPORTED>";
      }
      soft.assertThat(mine).as("literal_eval(%s)", literals.get(i)).isEqualTo(Json.freeze(py, "v"));
    }
    for (int i = 0; i < SHLEX.size(); i++) {
      Object py = expected.get("shlex").get(i);
      Object mine;
      try {
        mine = Shlex.split(SHLEX.get(i));
      } catch (IllegalArgumentException e) {
        mine = "<ERROR>";
      }
      soft.assertThat(mine).as("shlex.split(%s)", SHLEX.get(i)).isEqualTo(py);
    }
    // YAML: a plain scalar as a var value, read by the library vs PyYAML + Ansible's JSON encoder
    for (int i = 0; i < scalars.size(); i++) {
      String s = scalars.get(i);
      Object py = expected.get("scalars").get(i);
      if ("<SKIP>".equals(py)) {
        continue;
      }
      Object mine;
      try {
        mine = Json.freeze(AnsibleYaml.parse("h:\n  hosts:\n    x:\n      v: " + s + "\n").host("x").orElseThrow().vars().get("v"), "v");
      } catch (InventoryException e) {
        mine = "<ERROR>";
      }
      soft.assertThat(mine).as("YAML plain scalar [%s]", s).isEqualTo(Json.freeze(py, "v"));
    }
    soft.assertAll();
  }

  static final String ORACLE =
      """
      import ast, json, shlex, sys, datetime, math, warnings
      import yaml
      warnings.simplefilter("ignore")
      data = json.load(open(sys.argv[1], encoding="utf-8"))
      def jsonable(v, top=True):
          if isinstance(v, bytes) and top:
              return v.decode("utf-8")
          if isinstance(v, tuple): v = list(v)
          if isinstance(v, list): return [jsonable(x, False) for x in v]
          if isinstance(v, dict):
              if not all(isinstance(k, str) for k in v): raise TypeError()
              return {k: jsonable(x, False) for k, x in v.items()}
          if isinstance(v, float) and not math.isfinite(v): raise TypeError()
          if v is None or isinstance(v, (str, bool, int, float)): return v
          if isinstance(v, (datetime.date, datetime.datetime)): return v.isoformat()
          raise TypeError()
      def lit(s):
          try:
              v = ast.literal_eval(s)
          except (ValueError, SyntaxError, MemoryError, RecursionError):
              return s
          try:
              return jsonable(v)
          except (TypeError, UnicodeDecodeError):
              return "<UNSUPPORTED>"
      def sh(s):
          try:
              return shlex.split(s, comments=True)
          except ValueError:
              return "<ERROR>"
      def scalar(s):
          try:
              v = yaml.load("v: " + s + "\\n", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
          except Exception:
              return "<ERROR>"
          if not isinstance(v, dict) or "v" not in v or len(v) != 1:
              return "<SKIP>"
          try:
              return jsonable(v["v"])
          except TypeError:
              return "<ERROR>"
      print(json.dumps({"literals": [lit(s) for s in data["literals"]],
                        "shlex": [sh(s) for s in data["shlex"]],
                        "scalars": [scalar(s) for s in data["scalars"]]}))
      """;
}
