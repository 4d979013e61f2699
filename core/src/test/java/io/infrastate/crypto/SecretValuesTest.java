package io.infrastate.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.HostState;
import io.infrastate.model.MissingKeyException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Secret;
import io.infrastate.model.SecretKeyException;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.spi.Backend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretValuesTest {
  private static final String MARKER = "MARKER-8c1f-secret-value";

  @TempDir Path dir;

  private KeySource keyFile(String name) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, Base64.getEncoder().encodeToString(Crypto.random(32)) + "\n");
    return KeySource.keyFile(f);
  }

  private static String raw(InMemoryBackend b) {
    return new String(b.readRaw().orElseThrow(), StandardCharsets.UTF_8);
  }

  @Test
  void aSecretVarIsStoredSealedInPlaceAndRevealedWithTheKey() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").address("10.0.0.9").var("port_db", 5432).secretVar("db_password", MARKER).build());
      assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
    String file = raw(store);
    assertThat(file).doesNotContain(MARKER).contains("\"db_password\": \"infrastate:secret:v1:")
        .contains("\"address\": \"10.0.0.9\"").contains(KeyRecord.RESOURCE_KEY);
    try (State again = State.load(keys.protect(store))) {
      HostState h = again.getHost("db1").orElseThrow();
      assertThat(h.secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
      assertThat(again.allResources()).doesNotContainKey(KeyRecord.RESOURCE_KEY);
      assertThat(h.toString()).contains("[secret]").doesNotContain(MARKER).doesNotContain("infrastate:secret:v1");
    }
  }

  @Test
  void theVersionHandedToStorageIndexesItsSealedResourcesByType() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    List<Snapshot> handed = new java.util.ArrayList<>();
    Backend recording = new Backend() {
      @Override
      public String location() {
        return store.location();
      }

      @Override
      public java.util.Optional<io.infrastate.spi.StoredState> load() {
        return store.load();
      }

      @Override
      public io.infrastate.spi.SaveResult save(io.infrastate.spi.SaveRequest request) {
        handed.add(request.snapshot());
        return store.save(request);
      }
    };
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(recording))) {
      state.addResource("db:main", ResourceState.builder("db", "main").data("plan", "small").build());
      state.addResource("db:main", ResourceState.builder("db", "main").secretData("password", MARKER).build());
      state.addResource("queue:q1", ResourceState.builder("queue", "q1").secretData("token", MARKER).build());
    }
    Snapshot last = handed.get(handed.size() - 1);
    assertThat(last.getResourcesByType("db")).containsExactly(last.resources().get("db:main"));
    assertThat(last.getResourcesByType("queue")).containsExactly(last.resources().get("queue:q1"));
    assertThat(last.getResourcesByType(KeyRecord.TYPE)).containsExactly(last.resources().get(KeyRecord.RESOURCE_KEY));
    assertThat(last.resourcesByType()).isEqualTo(Snapshot.of(last.metadata(), last.hosts(), last.resources()).resourcesByType());
    assertThat(last.resources().get("queue:q1").secretData("token").orElseThrow().isSealed()).isTrue();
  }

  @Test
  void withoutTheKeySecretsStaySealedAndRoundTripThroughOtherWrites() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    String sealed = HostStateText.valueOf(raw(store), "db_password");
    try (State plain = State.load(store)) {
      Secret s = plain.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow();
      assertThat(s.isSealed()).isTrue();
      assertThatThrownBy(s::reveal).isInstanceOf(MissingKeyException.class).hasMessageContaining("INFRASTATE_PASSPHRASE");
      plain.addHost(HostState.builder("web1").address("10.0.0.1").build());
      plain.addHost(plain.getHost("db1").orElseThrow().withAddress("10.0.0.2"));
      assertThatThrownBy(() -> plain.addHost(HostState.builder("x").secretVar("k", "v").build()))
          .isInstanceOf(MissingKeyException.class);
    }
    assertThat(HostStateText.valueOf(raw(store), "db_password")).isEqualTo(sealed);
    try (State again = State.load(keys.protect(store))) {
      assertThat(again.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
      assertThat(again.getHost("db1").orElseThrow().address()).isEqualTo("10.0.0.2");
    }
  }

  @Test
  void aWriteOfAnotherHostLeavesEverySealedValueByteIdentical() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
      String before = HostStateText.valueOf(raw(store), "db_password");
      state.addHost(HostState.builder("web1").build());
      state.addResource("stripe:live", ResourceState.builder("stripe", "live").secretData("api_key", MARKER).build());
      assertThat(HostStateText.valueOf(raw(store), "db_password")).isEqualTo(before);
      state.update(tx -> tx.addHost(HostState.builder("db2").secretVar("db_password", MARKER).build()));
      assertThat(HostStateText.valueOf(raw(store), "db_password")).isEqualTo(before);
    }
    assertThat(raw(store)).doesNotContain(MARKER);
    try (State again = State.load(keys.protect(store))) {
      assertThat(again.getResource("stripe:live").orElseThrow().secretData("api_key").orElseThrow().reveal()).isEqualTo(MARKER);
      assertThat(again.getHost("db2").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
  }

  @Test
  void aWrongKeyFailsTheLoadTypedAndWritesNothing() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    try (State state = State.load(Keyring.of(keyFile("k")).protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    byte[] before = store.readRaw().orElseThrow();
    assertThatThrownBy(() -> State.load(Keyring.of(keyFile("other")).protect(store)))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining("a key file (--key-file PATH)")
        .satisfies(e -> assertThat(((SecretKeyException) e).expectedKey()).contains("key file"));
    assertThat(store.readRaw().orElseThrow()).isEqualTo(before);
  }

  @Test
  void aKeyOfAnotherProviderIsAMissingKeyNamingTheExpectedOne() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    try (State state = State.load(Keyring.of(keyFile("k")).protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    assertThatThrownBy(() -> State.load(Keyring.of(KeySource.command(List.of("true"))).protect(store)))
        .isInstanceOf(MissingKeyException.class)
        .hasMessageContaining("--key-file");
  }

  @Test
  void aFlippedByteInASealedValueFailsItsRevealAsTamperingAndWritesNothing() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    String file = raw(store);
    String sealed = HostStateText.valueOf(file, "db_password");
    int at = sealed.length() - 5;
    String flipped = sealed.substring(0, at) + (sealed.charAt(at) == 'A' ? 'B' : 'A') + sealed.substring(at + 1);
    byte[] damaged = file.replace(sealed, flipped).getBytes(StandardCharsets.UTF_8);
    store.writeRaw(damaged);
    try (State state = State.load(keys.protect(store))) {
      Secret s = state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow();
      assertThatThrownBy(s::reveal).isInstanceOf(TamperedSecretException.class)
          .hasMessageContaining("$.hosts.db1.vars.db_password");
    }
    assertThat(store.readRaw().orElseThrow()).isEqualTo(damaged);
  }

  @Test
  void aSealedValueMovedToAnotherHostDoesNotOpen() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
      state.addHost(HostState.builder("db2").var("db_password", "x").build());
    }
    String file = raw(store);
    String sealed = HostStateText.valueOf(file, "db_password");
    store.writeRaw(file.replace("\"db_password\": \"x\"", "\"db_password\": \"" + sealed + "\"").getBytes(StandardCharsets.UTF_8));
    try (State state = State.load(keys.protect(store))) {
      assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
      assertThatThrownBy(() -> state.getHost("db2").orElseThrow().secretVar("db_password").orElseThrow().reveal())
          .isInstanceOf(TamperedSecretException.class);
    }
  }

  @Test
  void aHostCopiedUnderAnotherNameWithTheKeyIsSealedForItsNewPlace() throws Exception {
    InMemoryBackend store = InMemoryBackend.create();
    Keyring keys = Keyring.of(keyFile("k"));
    try (State state = State.load(keys.protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    try (State state = State.load(keys.protect(store))) {
      HostState db1 = state.getHost("db1").orElseThrow();
      state.addHost(HostState.builder("db9").vars(db1.vars()).build());
      state.addHost(HostState.builder("web1").build());
    }
    try (State state = State.load(keys.protect(store))) {
      assertThat(state.getHost("db9").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
  }

  @Test
  void diffsAndToStringMaskSecrets() {
    Snapshot a = Snapshot.empty(new io.infrastate.model.Metadata("1.0", 1, "l", null, null));
    Snapshot b = Snapshot.of(a.metadata(), Map.of("db1", HostState.builder("db1").secretVar("pw", MARKER).build()), Map.of());
    Snapshot c = Snapshot.of(a.metadata(), Map.of("db1", HostState.builder("db1").secretVar("pw", MARKER + "2").build()), Map.of());
    StateDiff diff = StateDiff.between(b, c);
    assertThat(diff.isEmpty()).isFalse();
    assertThat(diff.toString()).contains("[secret]").doesNotContain(MARKER);
    assertThat(b.toString()).doesNotContain(MARKER);
    assertThat(Secret.of(MARKER).toString()).isEqualTo("[secret]");
  }

  @Test
  void thePassphraseProviderOpensWhatItSealedAndRefusesAnotherPassphrase() {
    InMemoryBackend store = InMemoryBackend.create();
    Backend b = Keyring.of(KeySource.passphrase("correct horse".toCharArray())).protect(store);
    try (State state = State.load(b)) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    assertThat(raw(store)).contains("\"iterations\": \"600000\"").contains("pbkdf2-hmac-sha256").doesNotContain(MARKER);
    try (State state = State.load(Keyring.of(KeySource.passphrase("correct horse".toCharArray())).protect(store))) {
      assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
    assertThatThrownBy(() -> State.load(Keyring.of(KeySource.passphrase("wrong".toCharArray())).protect(store)))
        .isInstanceOf(WrongKeyException.class).hasMessageContaining("INFRASTATE_PASSPHRASE");
  }

  @Test
  void anUnknownProviderIsTyped() {
    assertThatThrownBy(() -> Keyring.source("vault", Map.of()))
        .isInstanceOf(UnknownKeyProviderException.class).hasMessageContaining("key-file");
  }

  private Path script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body);
    assertThat(p.toFile().setExecutable(true)).isTrue();
    return p;
  }

  @Test
  void aKeyCommandMayAnswerOpenTofusExternalProtocolOrPrintABareKey() throws Exception {
    String key = Base64.getEncoder().encodeToString(Crypto.random(32));
    Path tofu = script("tofu.sh", "cat > /dev/null\n"
        + "echo '{\"magic\":\"OpenTofu-External-Key-Provider\",\"version\":1}'\n"
        + "echo '{\"keys\":{\"encryption_key\":\"" + key + "\",\"decryption_key\":\"" + key + "\"},\"meta\":{}}'\n");
    Path bare = script("bare.sh", "echo " + key + "\n");
    InMemoryBackend store = InMemoryBackend.create();
    try (State state = State.load(Keyring.of(KeySource.command(List.of(tofu.toString()))).protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    try (State state = State.load(Keyring.of(KeySource.command(List.of(bare.toString()))).protect(store))) {
      assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
    Path failing = script("fail.sh", "exit 3\n");
    assertThatThrownBy(() -> State.load(Keyring.of(KeySource.command(List.of(failing.toString()))).protect(store)))
        .isInstanceOf(MissingKeyException.class).hasMessageContaining("exited with status 3");
  }

  @Test
  void aKeyringWithSeveralKeysOpensWithAnyOneOfThem() throws Exception {
    KeySource file = keyFile("k1");
    KeySource other = keyFile("k2");
    InMemoryBackend store = InMemoryBackend.create();
    try (State state = State.load(Keyring.of(file, other).protect(store))) {
      state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
    }
    for (KeySource k : List.of(file, other)) {
      try (State state = State.load(Keyring.of(k).protect(store))) {
        assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
      }
    }
  }

  @Test
  void aKeyFileThatHoldsNoKeyIsAMissingKeyNamingTheFile() throws Exception {
    Path f = dir.resolve("short.key");
    Files.writeString(f, "not a key");
    InMemoryBackend store = InMemoryBackend.create();
    assertThatThrownBy(() -> {
      try (State state = State.load(Keyring.of(KeySource.keyFile(f)).protect(store))) {
        state.addHost(HostState.builder("db1").secretVar("db_password", MARKER).build());
      }
    }).isInstanceOf(MissingKeyException.class).hasMessageContaining(f.toString());
    assertThat(store.readRaw()).isEmpty();
  }

  /** Reads a var's stored text from state.json text. */
  static final class HostStateText {
    static String valueOf(String file, String var) {
      int i = file.indexOf("\"" + var + "\": \"");
      int from = i + var.length() + 5;
      return file.substring(from, file.indexOf('"', from));
    }
  }
}
