package io.corio.blockio.nbd;

import java.util.Objects;

/**
 * One export of a server as the handshake announces it: the name clients select it by, a
 * description for humans, its size and whether it is read-only. The driver that holds its bytes
 * is the server's business, looked up by name once the handshake is over.
 *
 * <p>Public so that another server on the same handshake (the {@code CompletableFuture}-style
 * server in benchmarks/, whose drivers are not {@code BlockDriver}s) can describe its exports.
 */
public record Export(String name, String description, long size, boolean readOnly) {
    public Export {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        if (size < 0) {
            throw new IllegalArgumentException("export size " + size + " < 0");
        }
    }

    /** The transmission flags of this export, given whether structured replies were negotiated. */
    int transmissionFlags(boolean structured) {
        int f = NbdProto.FLAG_HAS_FLAGS | NbdProto.FLAG_SEND_FLUSH | NbdProto.FLAG_SEND_CACHE
                | NbdProto.FLAG_CAN_MULTI_CONN; // one driver behind every connection: flush is global
        if (readOnly) {
            f |= NbdProto.FLAG_READ_ONLY;
        } else {
            f |= NbdProto.FLAG_SEND_FUA | NbdProto.FLAG_SEND_TRIM | NbdProto.FLAG_SEND_WRITE_ZEROES
                    | NbdProto.FLAG_SEND_FAST_ZERO;
        }
        if (structured) {
            f |= NbdProto.FLAG_SEND_DF; // the protocol forbids DF without structured replies
        }
        return f;
    }

    @Override
    public String toString() {
        return "export '" + name + "'";
    }
}
