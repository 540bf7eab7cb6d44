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
    DIRECT,
    /**
     * Take no image lock, as QEMU's {@code locking=off}. Without it the driver holds
     * QEMU's lock on the file while open ({@link ImageLock}): read-write, it keeps every other
     * writer out (qemu-nbd, qemu-io, a VM, another corio) and refuses a file one of them
     * writes; read-only, it lets others write but not resize the file. With it, nothing keeps
     * two writers apart: for a file that several servers share on purpose, such as a
     * benchmark's.
     */
    NO_LOCK
}
