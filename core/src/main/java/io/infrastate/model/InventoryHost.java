package io.infrastate.model;

import java.util.Map;

/**
 * A host as an inventory sees it: what {@link HostState#fromInventoryHost(InventoryHost, String)}
 * reads. The {@code infrastate-inventory} module's {@code Host} implements it; core knows no
 * inventory format, so that it stays free of YAML parsers.
 */
public interface InventoryHost {
  /**
   * The host name.
   *
   * @return the name, not empty
   */
  String name();

  /**
   * The address to connect to ({@code ansible_host}).
   *
   * @return the address, empty if unset
   */
  String address();

  /**
   * The port ({@code ansible_port}).
   *
   * @return 0..65535, 0 if unset
   */
  int port();

  /**
   * The login user ({@code ansible_user}).
   *
   * @return the user, empty if unset
   */
  String user();

  /**
   * The other host variables.
   *
   * @return JSON-compatible values
   */
  Map<String, Object> vars();
}
