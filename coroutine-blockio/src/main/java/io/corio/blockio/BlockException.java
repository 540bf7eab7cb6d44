package io.corio.blockio;

import java.io.IOException;

/** A block request that failed for a reason a client can be told: see {@link BlockError}. */
public final class BlockException extends IOException {

    private final BlockError error;

    public BlockException(BlockError error, String message) {
        super(error + ": " + message);
        this.error = error;
    }

    public BlockException(BlockError error, String message, Throwable cause) {
        super(error + ": " + message, cause);
        this.error = error;
    }

    /** The reason, to send to the client. */
    public BlockError error() {
        return error;
    }
}
