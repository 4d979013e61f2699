package io.infrastate.examples;

import io.infrastate.file.FileBackend;
import io.infrastate.spi.HistoryRewritingBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.util.Optional;

/**
 * A file backend behind a wrapper that forwards every call, for crash tests that override one
 * step to halt the JVM there (a real process cannot be stopped at an exact step on demand).
 */
class ForwardingFileBackend implements HistoryRewritingBackend {
  /** The backend calls go to. */
  final FileBackend inner;

  ForwardingFileBackend(FileBackend inner) {
    this.inner = inner;
  }

  @Override
  public String location() {
    return inner.location();
  }

  @Override
  public Optional<StoredState> load() {
    return inner.load();
  }

  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    return inner.loadIfChanged(known);
  }

  @Override
  public SaveResult save(SaveRequest request) {
    return inner.save(request);
  }

  @Override
  public void settle() {
    inner.settle();
  }

  @Override
  public int rewriteHistory() {
    return inner.rewriteHistory();
  }

  @Override
  public void storedForm(StoredForm form) {
    inner.storedForm(form);
  }

  @Override
  public void close() {
    inner.close();
  }
}
