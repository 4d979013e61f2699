/**
 * Internal: the Ansible and Python behaviours the inventory readers and writers reproduce (host
 * patterns, {@code shlex}, Python literals, PyYAML's typing). Not API: the module does not export
 * this package.
 */
package io.infrastate.inventory.internal;
