package io.milvuscdc.connectors.meta.source.enumerator;

import io.milvuscdc.connectors.meta.source.split.MetaSplit;

import javax.annotation.Nullable;

/** The enumerator's state: the split while no reader holds it, else nothing. */
public final class MetaEnumState {

    @Nullable private final MetaSplit unassigned;

    public MetaEnumState(@Nullable MetaSplit unassigned) {
        this.unassigned = unassigned;
    }

    @Nullable
    public MetaSplit unassigned() {
        return unassigned;
    }
}
