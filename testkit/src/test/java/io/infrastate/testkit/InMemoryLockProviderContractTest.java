package io.infrastate.testkit;

import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;

/** The in-memory lock provider meets the lock contract. */
class InMemoryLockProviderContractTest extends LockProviderContract<InMemoryLockProvider> {
  @Override
  protected InMemoryLockProvider newStorage() {
    return InMemoryLockProvider.create();
  }

  @Override
  protected LockProvider openProvider(InMemoryLockProvider storage, LockOptions options) {
    return storage.withOptions(options);
  }
}
