package io.corio.blockio.nbd;

import java.io.IOException;

/**
 * The byte stream can no longer be cut into messages (a bad magic number, a length past a
 * limit, a reply that breaks the protocol): the connection must be closed. Only that connection:
 * a server goes on serving the others.
 */
public final class FramingException extends IOException {
    public FramingException(String message) {
        super(message);
    }
}
