package io.infrastate.inventory;

/**
 * An {@link IllegalArgumentException} from the model that carries the {@link InventoryException.Kind}
 * a reader reports when it turns the refusal into an {@link InventoryException} with a location.
 */
final class Refusal extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final InventoryException.Kind kind;

  Refusal(InventoryException.Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  InventoryException.Kind kind() {
    return kind;
  }

  InventoryException at(String file, int line) {
    return new InventoryException(kind, file, line, getMessage(), this);
  }
}
