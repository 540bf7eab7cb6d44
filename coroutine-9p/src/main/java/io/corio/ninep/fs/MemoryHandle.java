package io.corio.ninep.fs;

import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;

/**
 * A {@link MemoryBackend} handle: the node itself (so an unlinked file stays usable), the
 * directory and name it was walked to (for Tremove and Trename), and its open mode.
 * Every mutable field is guarded by the back end's tree lock; {@code closed} is also volatile
 * so that {@link #isClosed()} and {@link #toString()} need no lock.
 */
final class MemoryHandle implements Handle {
    static final int NOT_OPEN = -1;

    final MemoryBackend backend;
    final MemoryNode node;
    final Qid qid;
    MemoryNode parent; // guarded by tree lock; null for the root and for ".." handles
    String name; // guarded by tree lock
    int openFlags = NOT_OPEN; // guarded by tree lock; P9.DOTL_* flags once open
    volatile boolean closed; // written under tree lock

    MemoryHandle(MemoryBackend backend, MemoryNode node, MemoryNode parent, String name) {
        this.backend = backend;
        this.node = node;
        this.qid = node.qid();
        this.parent = parent;
        this.name = name;
    }

    @Override
    public Qid qid() {
        return qid;
    }

    @Override
    public boolean isOpen() {
        return backend.isOpen(this);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        backend.close(this);
    }

    @Override
    public String toString() {
        String kind = switch (qid.type()) {
            case P9.QTDIR -> "dir";
            case P9.QTSYMLINK -> "symlink";
            default -> "file";
        };
        return "MemoryHandle[" + kind + " qid.path=" + qid.path() + (closed ? " closed" : "") + "]";
    }
}
