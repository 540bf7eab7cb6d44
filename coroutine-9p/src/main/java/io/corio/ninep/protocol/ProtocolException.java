package io.corio.ninep.protocol;

/**
 * A frame that is whole but whose message is malformed: an unknown or unsupported type, a
 * field running past the end, bytes left over after the last field, too many walk names,
 * a string that is not UTF-8. Framing is intact, so a server answers
 * {@code Rlerror(tag(), errno())} and keeps the connection; a client fails the request
 * with that tag.
 */
public final class ProtocolException extends Exception {
    private final int tag;
    private final int type;
    private final int errno;

    public ProtocolException(int tag, int type, int errno, String message) {
        super(message);
        this.tag = tag;
        this.type = type;
        this.errno = errno;
    }

    /** The tag of the offending frame. */
    public int tag() {
        return tag;
    }

    /** The message type byte of the offending frame. */
    public int type() {
        return type;
    }

    /**
     * The errno to answer with: {@link Errno#EOPNOTSUPP} for a type this protocol does not
     * have, {@link Errno#EINVAL} for anything else.
     */
    public int errno() {
        return errno;
    }
}
