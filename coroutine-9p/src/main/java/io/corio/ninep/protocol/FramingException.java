package io.corio.ninep.protocol;

import java.io.IOException;

/**
 * The byte stream no longer splits into frames: a size field below {@link P9#HEADER_SIZE} or
 * above the negotiated msize, or a buffer that is not exactly one frame. Nothing after this
 * point can be trusted, so the only remedy is to close the connection; other connections
 * are unaffected.
 */
public final class FramingException extends IOException {
    public FramingException(String message) {
        super(message);
    }
}
