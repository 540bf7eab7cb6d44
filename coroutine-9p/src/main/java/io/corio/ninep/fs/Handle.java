package io.corio.ninep.fs;

import io.corio.ninep.protocol.Qid;

/**
 * A back end's reference to one file, the server-side half of a 9P fid. A handle is made by
 * {@link Backend#root()}, {@link Backend#walk}, {@link Backend#clone} or {@link Backend#create}
 * and stays bound to the same file while it lives, whatever renames happen: it names a file,
 * not a path. It may be opened once ({@link Backend#open}); an open handle keeps its file
 * readable and writable after the file is unlinked.
 *
 * <p>{@link #close()} is idempotent and never fails. Operations racing with close either
 * finish on the file they started on or fail with {@code EBADF}; they never reach another file.
 * {@link #toString()} is log-safe: one line, bounded length, no file contents, never throws.
 * Handles are thread-safe.
 */
public interface Handle extends AutoCloseable {
    /** The file's qid as of the moment the handle was made (type and path never change). */
    Qid qid();

    /** Whether {@link Backend#open} or {@link Backend#create} opened this handle for I/O. */
    boolean isOpen();

    /** Whether {@link #close()} was called. */
    boolean isClosed();

    /** Releases the handle and whatever it holds open; later calls do nothing. */
    @Override
    void close();
}
