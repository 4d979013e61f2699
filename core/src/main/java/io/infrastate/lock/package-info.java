/**
 * API and SPI for named locks with leases and fencing tokens: applications take a {@link
 * io.infrastate.lock.Lock} from a {@link io.infrastate.lock.LockProvider} and write under it; lock
 * providers for a storage implement {@link io.infrastate.lock.LockProvider}, usually by extending
 * {@link io.infrastate.lock.AbstractLockProvider}.
 */
package io.infrastate.lock;
