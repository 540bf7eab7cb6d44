package io.corio.blockio.nbd;

import io.corio.blockio.BlockDriver;
import java.util.Objects;

/**
 * One export of a server: the name clients select it by, a description for humans, and the
 * driver that holds its bytes (the caller's: the server never closes it).
 */
record Export(String name, String description, BlockDriver driver) {
    Export {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(driver, "driver");
    }

    /** The transmission flags of this export, given whether structured replies were negotiated. */
    int transmissionFlags(boolean structured) {
        int f = NbdProto.FLAG_HAS_FLAGS | NbdProto.FLAG_SEND_FLUSH | NbdProto.FLAG_SEND_CACHE
                | NbdProto.FLAG_CAN_MULTI_CONN; // one driver behind every connection: flush is global
        if (driver.readOnly()) {
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
