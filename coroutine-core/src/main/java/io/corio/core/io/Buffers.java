package io.corio.core.io;

import java.nio.ByteBuffer;

/**
 * Where a server takes payload buffers from and gives them back to: a frame reader filling
 * large requests, a handler filling read replies, a {@link FrameWriter} returning them once
 * written. Implementations are thread-safe. {@link BufferPool} is the one servers use.
 */
public interface Buffers {
    /**
     * A direct buffer with position 0 and limit {@code size}, its contents undefined; give it
     * back with {@link #give} when nothing refers to it any more.
     */
    ByteBuffer take(int size);

    /** Takes back a buffer from {@link #take}; anything else is ignored. */
    void give(ByteBuffer buffer);
}
