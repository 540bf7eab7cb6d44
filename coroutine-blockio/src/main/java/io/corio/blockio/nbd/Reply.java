package io.corio.blockio.nbd;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A transmission reply: a simple reply, or one chunk of a structured reply. A structured reply
 * is one or more chunks with the request's handle, the last with the DONE flag. The wire layout
 * lives in {@link TransmissionCodec}.
 */
public sealed interface Reply {

    /** The handle of the request answered. */
    long handle();

    /**
     * A simple reply: an error value (0 for success) and, for a successful READ only, the data
     * ({@code null} otherwise).
     */
    record Simple(long handle, int error, ByteBuffer data) implements Reply {}

    /** One chunk of a structured reply. */
    sealed interface Chunk extends Reply {
        /** Whether this is the last chunk of its reply ({@code NBD_REPLY_FLAG_DONE}). */
        boolean done();
    }

    /** {@code NBD_REPLY_TYPE_NONE}: the end of a reply, and success unless an error chunk came. */
    record None(long handle) implements Chunk {
        @Override
        public boolean done() {
            return true;
        }
    }

    /** {@code NBD_REPLY_TYPE_OFFSET_DATA}: the bytes at {@code offset} (absolute). */
    record OffsetData(long handle, boolean done, long offset, ByteBuffer data) implements Chunk {}

    /** {@code NBD_REPLY_TYPE_OFFSET_HOLE}: {@code length} bytes at {@code offset} read as zero. */
    record OffsetHole(long handle, boolean done, long offset, long length) implements Chunk {}

    /**
     * {@code NBD_REPLY_TYPE_BLOCK_STATUS}: consecutive extents of one metadata context, from the
     * request's offset on.
     */
    record BlockStatus(long handle, boolean done, int contextId, List<Descriptor> descriptors)
            implements Chunk {
        public BlockStatus {
            descriptors = List.copyOf(descriptors);
        }
    }

    /** One extent of a block status chunk: an unsigned 32-bit length and the state flags. */
    record Descriptor(long length, int status) {}

    /** {@code NBD_REPLY_TYPE_ERROR}: the request failed. */
    record Error(long handle, boolean done, int error, String message) implements Chunk {}

    /** {@code NBD_REPLY_TYPE_ERROR_OFFSET}: the request failed at {@code offset}. */
    record ErrorOffset(long handle, boolean done, int error, String message, long offset)
            implements Chunk {}

    /**
     * A chunk type this implementation does not know. If {@link #isError()}, the client must
     * count the reply as failed; otherwise it must hang up.
     */
    record UnknownChunk(long handle, boolean done, int type, ByteBuffer payload) implements Chunk {
        public boolean isError() {
            return (type & NbdProto.REPLY_TYPE_FLAG_ERROR) != 0;
        }
    }
}
