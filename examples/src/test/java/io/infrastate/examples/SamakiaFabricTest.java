package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Seed 003: runs {@link SamakiaFabric#main} on its in-process S3-compatible server. */
class SamakiaFabricTest {
  @Test
  void locksDetectsDriftStopsOnDamageAndRestores() {
    String out = QuickStartTest.capture(() -> {
      try {
        SamakiaFabric.main(new String[0]);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(out)
        .contains("S3-compatible server: in-process S3Proxy at http://127.0.0.1:")
        .contains("state: s3://samakia-fabric/infrastate-examples/samakia/terraform-state.json, locks beside it")
        .contains("a second apply while locked is refused: true (held by ops@ci)")
        .contains("applied: 3 containers, serial 1")
        .contains("applied: monitoring-1 memory 4096, serial 2")
        .contains("drift: 3 differences: 1 resource added, 1 resource removed, 1 resource changed")
        .contains("  ~ proxmox_lxc:100 (dns-1): data.cores: 2 -> 4")
        .contains("  - proxmox_lxc:102 (minio-1)")
        .contains("  + proxmox_lxc:103 (scratch)")
        .contains("next run stops: CorruptStateException: State s3://samakia-fabric/infrastate-examples/samakia/"
            + "terraform-state.json.infrastate/log/00000000000000000002.json is damaged")
        .contains("restored: the damaged record removed, the state is back at version 1 (monitoring-1 memory 2048)")
        .contains("  v2 ops@ci: apply: monitoring-1 memory 4096 (re-applied after restore)")
        .contains("  v1 ops@ci: apply: create containers (ADR-0007)");
  }
}
