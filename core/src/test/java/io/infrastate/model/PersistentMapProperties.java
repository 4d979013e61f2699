package io.infrastate.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The persistent map against TreeMap, and old versions never change. */
class PersistentMapProperties {
  record Op(boolean put, String key, int value) {}

  @Property(tries = 300)
  void behavesLikeATreeMapAndKeepsOldVersions(@ForAll("ops") List<Op> ops) {
    PersistentMap<Integer> map = PersistentMap.empty();
    TreeMap<String, Integer> model = new TreeMap<>();
    List<PersistentMap<Integer>> versions = new ArrayList<>();
    List<TreeMap<String, Integer>> models = new ArrayList<>();
    for (Op op : ops) {
      map = apply(map, model, op, null);
      versions.add(map);
      models.add(new TreeMap<>(model));
    }
    for (int i = 0; i < versions.size(); i++) {
      assertThat(new ArrayList<>(versions.get(i).entrySet())).containsExactlyElementsOf(models.get(i).entrySet());
      assertThat(versions.get(i)).isEqualTo(models.get(i));
    }
    assertThat(PersistentMap.copyOf(model)).isEqualTo(model);
    assertThat(PersistentMap.copyOf(model).invariantsHold()).isTrue();
  }

  @Property(tries = 300)
  void changesInPlaceUnderATokenNeverTouchAMapFrozenBeforeOrTheBase(
      @ForAll("ops") List<Op> prefix, @ForAll("ops") List<Op> ops, @ForAll("freezes") List<Boolean> freezes) {
    PersistentMap<Integer> base = PersistentMap.empty();
    TreeMap<String, Integer> model = new TreeMap<>();
    for (Op op : prefix) {
      base = base.plus(op.key(), op.value());
      model.put(op.key(), op.value());
    }
    TreeMap<String, Integer> baseModel = new TreeMap<>(model);
    PersistentMap<Integer> map = base;
    Object edit = new Object();
    List<PersistentMap<Integer>> frozen = new ArrayList<>();
    List<TreeMap<String, Integer>> frozenModels = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      map = apply(map, model, ops.get(i), edit);
      if (freezes.get(i % freezes.size())) {
        // retire the token: this version must never change again
        frozen.add(map);
        frozenModels.add(new TreeMap<>(model));
        edit = new Object();
      }
    }
    assertThat(new ArrayList<>(map.entrySet())).containsExactlyElementsOf(model.entrySet());
    for (int i = 0; i < frozen.size(); i++) {
      assertThat(frozen.get(i).invariantsHold()).isTrue();
      assertThat(new ArrayList<>(frozen.get(i).entrySet())).containsExactlyElementsOf(frozenModels.get(i).entrySet());
    }
    assertThat(new ArrayList<>(base.entrySet())).containsExactlyElementsOf(baseModel.entrySet());
  }

  /** Applies one op to the map (in place under {@code edit}, unless null) and the model; checks them. */
  private static PersistentMap<Integer> apply(PersistentMap<Integer> map, TreeMap<String, Integer> model, Op op, Object edit) {
    if (op.put()) {
      map = edit == null ? map.plus(op.key(), op.value()) : map.plus(op.key(), op.value(), edit);
      model.put(op.key(), op.value());
    } else {
      map = map.minus(op.key());
      model.remove(op.key());
    }
    assertThat(map.invariantsHold()).isTrue();
    assertThat(map.size()).isEqualTo(model.size());
    assertThat(map.get(op.key())).isEqualTo(model.get(op.key()));
    return map;
  }

  @Provide
  Arbitrary<List<Boolean>> freezes() {
    return Arbitraries.frequency(net.jqwik.api.Tuple.of(1, true), net.jqwik.api.Tuple.of(4, false)).list().ofMinSize(1).ofMaxSize(20);
  }

  @Property(tries = 300)
  void theBuilderKeepsTheFirstValueOfEachKeyInAnyOrder(@ForAll("ops") List<Op> ops, @ForAll boolean sorted) {
    List<Op> order = new ArrayList<>(ops);
    if (sorted) {
      order.sort(java.util.Comparator.comparing(Op::key));
    }
    PersistentMap.Builder<Integer> builder = PersistentMap.builder();
    TreeMap<String, Integer> model = new TreeMap<>();
    for (Op op : order) {
      assertThat(builder.add(op.key(), op.value())).isEqualTo(model.putIfAbsent(op.key(), op.value()) == null);
    }
    PersistentMap<Integer> built = builder.build();
    assertThat(built.invariantsHold()).isTrue();
    assertThat(new ArrayList<>(built.entrySet())).containsExactlyElementsOf(model.entrySet());
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<String> keys = Arbitraries.strings().withCharRange('a', 'f').ofMinLength(1).ofMaxLength(3);
    return Combinators.combine(Arbitraries.frequency(net.jqwik.api.Tuple.of(3, true), net.jqwik.api.Tuple.of(1, false)), keys, Arbitraries.integers())
        .as(Op::new).list().ofMaxSize(200);
  }
}
