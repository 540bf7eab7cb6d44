package io.corio.blockio.nbd;

import java.nio.ByteBuffer;

/**
 * A transmission request ({@code NBD_CMD_*}), one record per command. Offsets are unsigned 64-bit
 * on the wire: one of 2^63 or more shows up here as a negative {@code long} and is out of range.
 * Lengths are unsigned 32-bit, held in a {@code long}. The wire layout lives in
 * {@link TransmissionCodec}.
 */
public sealed interface Request {

    /** The client's handle (cookie), echoed in every reply to this request. */
    long handle();

    /** The {@code NBD_CMD_FLAG_*} bits as sent. */
    int flags();

    /** The {@code NBD_CMD_*} value. */
    int type();

    /** {@code NBD_CMD_READ}. */
    record Read(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_READ;
        }
    }

    /** {@code NBD_CMD_WRITE}; {@code data} holds the payload (its remaining bytes). */
    record Write(long handle, int flags, long offset, ByteBuffer data) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_WRITE;
        }
    }

    /** {@code NBD_CMD_DISC}: finish what is in flight, then close. Has no reply. */
    record Disconnect(long handle, int flags) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_DISC;
        }
    }

    /** {@code NBD_CMD_FLUSH}; offset and length must be zero. */
    record Flush(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_FLUSH;
        }
    }

    /** {@code NBD_CMD_TRIM}. */
    record Trim(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_TRIM;
        }
    }

    /** {@code NBD_CMD_CACHE}: a hint that the range will be read soon. */
    record Cache(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_CACHE;
        }
    }

    /** {@code NBD_CMD_WRITE_ZEROES}. */
    record WriteZeroes(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_WRITE_ZEROES;
        }
    }

    /** {@code NBD_CMD_BLOCK_STATUS}. */
    record BlockStatus(long handle, int flags, long offset, long length) implements Request {
        @Override
        public int type() {
            return NbdProto.CMD_BLOCK_STATUS;
        }
    }

    /** A command type this implementation does not know (answered with EINVAL). */
    record Unknown(long handle, int flags, int type, long offset, long length) implements Request {}
}
