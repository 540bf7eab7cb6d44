package io.corio.blockio;

/** How {@link BlockDriver#file} opens its file. */
public enum FileOption {
    /** Open read-only: every modification is refused with {@link BlockError#EPERM}. */
    READ_ONLY,
    /**
     * Bypass the page cache ({@code O_DIRECT}). Reads and writes must then be aligned: their
     * offset and length multiples of the file system's block size (see
     * {@link BlockDriver#file}), or they fail with {@link BlockError#EINVAL}; the file's size
     * must be such a multiple too. Buffers need no alignment: unaligned ones are copied
     * through an aligned one.
     */
    DIRECT
}
