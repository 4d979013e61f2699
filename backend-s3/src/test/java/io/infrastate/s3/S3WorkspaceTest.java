package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.testkit.WorkspaceContract;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Workspaces of an S3 state (key prefixes), against the in-process S3 server. */
class S3WorkspaceTest extends WorkspaceContract {
  static S3TestServer server;
  static S3Credentials credentials;
  String bucket;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.start();
    credentials = S3Credentials.set();
  }

  @AfterAll
  static void stop() throws Exception {
    credentials.close();
    server.close();
  }

  @Override
  protected String newHome() {
    bucket = server.newBucket();
    return server.stateUri(bucket, "envs/prod/state.json");
  }

  private List<String> keys(String prefix) {
    try (S3Client c = server.client()) {
      return c.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents()
          .stream().map(S3Object::key).toList();
    }
  }

  @Test
  void aWorkspaceIsAKeyPrefixBesideTheStatesKeyAndDeletingEmptiesIt() {
    StateStore staging = store.createWorkspace("staging", AuditEntry.of(""));
    try (State s = staging.open()) {
      s.addHost(HostState.builder("web01").build());
    }
    assertThat(staging.location()).isEqualTo("s3://" + bucket + "/envs/prod/state.json.d/staging/state.json");
    assertThat(keys("envs/prod/state.json.d/staging/")).contains("envs/prod/state.json.d/staging/state.json")
        .anyMatch(k -> k.startsWith("envs/prod/state.json.d/staging/state.json.infrastate/log/"));
    store.deleteWorkspace("staging", true, AuditEntry.of(""));
    assertThat(keys("envs/prod/state.json.d/")).isEmpty();
    assertThat(keys("envs/prod/state.json")).as("the default's record of the deletion").isNotEmpty();
  }
}
