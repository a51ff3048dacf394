package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.List;

/** A parsed KDL document: its top-level nodes, in order. */
public record KdlDocument(List<KdlNode> nodes) {

    public KdlDocument {
        nodes = List.copyOf(nodes);
    }

    @Override
    public String toString() {
        return KdlPrinter.print(this, KdlVersion.V1);
    }
}
