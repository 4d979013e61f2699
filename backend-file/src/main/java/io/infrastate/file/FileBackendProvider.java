package io.infrastate.file;

import io.infrastate.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens {@code file:} URIs ({@code file:///var/lib/infra/state.json}); {@code State.open} also
 * routes bare paths here. An optional query {@code ?history=N} sets the history retention.
 *
 * <p>Instances are thread-safe.
 */
public final class FileBackendProvider implements BackendProvider {
  /** Creates the provider (for {@link java.util.ServiceLoader}). */
  public FileBackendProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("file");
  }

  @Override
  public Backend open(URI uri) {
    if (uri.getPath() == null || uri.getPath().isEmpty()) {
      throw new UnknownBackendException("File URI '" + uri + "' has no path; use file:///absolute/path/state.json");
    }
    FileBackend.Builder b = FileBackend.builder(Path.of(URI.create("file://" + uri.getRawPath())));
    String query = uri.getQuery();
    if (query != null) {
      for (String part : query.split("&")) {
        String[] kv = part.split("=", 2);
        if (kv[0].equals("history") && kv.length == 2) {
          try {
            b.historyRetention(Integer.parseInt(kv[1]));
          } catch (IllegalArgumentException e) {
            throw new UnknownBackendException("File URI '" + uri + "': history must be a number 0..100000, got '" + kv[1] + "'");
          }
        } else {
          throw new UnknownBackendException("File URI '" + uri + "': unknown parameter '" + kv[0] + "'; the only one is history=N");
        }
      }
    }
    return b.build();
  }
}
