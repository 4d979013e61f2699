package io.infrastate.file;

import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.StateHome;
import io.infrastate.spi.UriParameters;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@code file:} URIs ({@code file:///var/lib/infra/state.json}); {@code State.open} also
 * routes bare paths here. Optional query parameters: {@code history=N} sets the history retention;
 * {@code journal=true} opens the state in journal mode ({@link FileBackend.Builder#journal(boolean)}:
 * a write appends its change instead of rewriting the file), {@code journal=false} (the default) in
 * whole-file mode; {@code create=true} lets the first write create missing directories (by default a
 * missing directory is an error, never an empty state); {@code maxStateSize=BYTES} sets the largest
 * state file accepted (1 GiB by default); {@code external=record} (the default) or {@code
 * external=refuse} says what to do with a state file another tool changed ({@link
 * io.infrastate.model.ExternalEditPolicy}).
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
    return parse(uri).build();
  }

  /**
   * The home of a file state: workspace NAME of {@code /srv/infra/state.json} is {@code
   * /srv/infra/state.json.d/NAME/state.json}, and each workspace's locks are in the directory
   * {@code <its state file>.locks/} ({@link FileLockProvider}).
   *
   * @param uri the state URI
   * @return the home; it holds nothing to close
   * @throws UnknownBackendException if the URI has no path or a bad parameter
   */
  @Override
  public StateHome home(URI uri) {
    parse(uri);
    return new FileHome(this, uri, path(uri));
  }

  private static Path path(URI uri) {
    return Path.of(URI.create("file://" + uri.getRawPath()));
  }

  private FileBackend.Builder parse(URI uri) {
    if (uri.getPath() == null || uri.getPath().isEmpty()) {
      throw new UnknownBackendException("File URI '" + uri + "' has no path; use file:///absolute/path/state.json");
    }
    Path path = path(uri);
    Integer history = null;
    boolean journal = false;
    boolean create = false;
    Long maxStateSize = null;
    ExternalEditPolicy external = ExternalEditPolicy.RECORD;
    for (Map.Entry<String, String> p : UriParameters.parse(uri.getRawQuery(), BackendRegistry.redact(uri)).entrySet()) {
      String name = p.getKey();
      String value = p.getValue();
      if (name.equals("history")) {
        try {
          history = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw badHistory(uri, value);
        }
      } else if (name.equals("journal")) {
        if (!value.equals("true") && !value.equals("false")) {
          throw new UnknownBackendException("File URI '" + uri + "': journal must be true or false, got '" + value + "'");
        }
        journal = value.equals("true");
      } else if (name.equals("create")) {
        if (!value.equals("true") && !value.equals("false")) {
          throw new UnknownBackendException("File URI '" + uri + "': create must be true or false, got '" + value + "'");
        }
        create = value.equals("true");
      } else if (name.equals("maxStateSize")) {
        try {
          maxStateSize = Long.parseLong(value);
        } catch (NumberFormatException e) {
          maxStateSize = -1L;
        }
        if (maxStateSize < 1 || maxStateSize > StateFiles.LARGEST_MAX_SIZE) {
          throw new UnknownBackendException("File URI '" + uri + "': maxStateSize must be a number of bytes 1.."
              + StateFiles.LARGEST_MAX_SIZE + ", got '" + value + "'");
        }
      } else if (name.equals("external")) {
        try {
          external = ExternalEditPolicy.parse(value);
        } catch (IllegalArgumentException e) {
          throw new UnknownBackendException("File URI '" + uri + "': " + e.getMessage());
        }
      } else {
        throw new UnknownBackendException("File URI '" + uri + "': unknown parameter '" + name
            + "'; the parameters are history=N, journal=true|false, create=true|false, maxStateSize=BYTES"
            + " and external=record|refuse");
      }
    }
    FileBackend.Builder b = FileBackend.builder(path).journal(journal).createDirectories(create).externalEdits(external);
    retention(uri, history, b::historyRetention);
    if (maxStateSize != null) {
      b.maxStateSize(maxStateSize);
    }
    return b;
  }

  /** Sets the history retention if the URI gives one; the builders own its range. */
  private static void retention(URI uri, Integer history, java.util.function.IntFunction<?> set) {
    if (history == null) {
      return;
    }
    try {
      set.apply(history);
    } catch (IllegalArgumentException e) {
      throw badHistory(uri, history.toString());
    }
  }

  private static UnknownBackendException badHistory(URI uri, String value) {
    return new UnknownBackendException("File URI '" + uri + "': history must be a number 0..100000, got '" + value + "'");
  }
}
