package io.corio.ninep.fs;

import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * A file tree that a 9P2000.L server exports, like QEMU's {@code FileOperations}: the server
 * turns each request into one call here, on a thread of its I/O pool (through
 * {@code Coroutine.inWorker}) unless {@link #mayBlock()} says the call never waits.
 *
 * <p><b>Calls.</b> Every method is a plain blocking call, safe from any thread at any time,
 * concurrently too, also on the same handle (two reads of one fid may overlap). Operations work
 * on {@link Handle}s, never on paths. A failure a client can cause is an {@link FsException}
 * carrying a Linux errno; a handle of another back end or a null argument is an
 * {@link IllegalArgumentException}; a closed handle answers {@code EBADF}.
 *
 * <p><b>Names.</b> Every {@code name} is one path element. Empty names and names holding
 * {@code '/'} or NUL are {@code EINVAL}; names over 255 bytes of UTF-8 {@code ENAMETOOLONG}.
 * {@code "."} and {@code ".."} are what they are in a walk ({@code ".."} at the export root is
 * the root), {@code EEXIST} as the name of something new, {@code EBUSY} in a rename, and in
 * {@link #unlinkat} what Linux answers for them ({@code EISDIR}; with {@code AT_REMOVEDIR}
 * {@code EINVAL} and {@code ENOTEMPTY}).
 *
 * <p><b>Read-only.</b> A read-only back end answers {@code EROFS} to everything that would
 * modify the tree, including opening for writing or with {@code O_TRUNC}.
 *
 * <p><b>Permissions.</b> The back end does not check the client user's permissions: the client
 * kernel checks them against the attributes it gets, as with QEMU's 9P server. What the host
 * enforces on the server's own user still applies.
 */
public interface Backend extends AutoCloseable {

    /**
     * A back end serving the tree under {@code root}, confined to it: no name, symlink,
     * {@code ..} or rename race reaches outside. Linux only (x86_64, aarch64).
     *
     * @throws FsException if {@code root} cannot be opened as a directory, or
     *     {@code mapped-xattr} is asked on a file system without {@code user.*} xattrs
     * @throws UnsupportedOperationException on another operating system or architecture
     */
    static Backend local(Path root, SecurityModel model, boolean readOnly) throws FsException {
        return new LocalBackend(root, model, readOnly);
    }

    /** An empty in-memory tree: a root directory with mode 0755 owned by 0:0, writable. */
    static Backend memory() {
        return new MemoryBackend();
    }

    /**
     * Whether a call may wait for the host (a system call on a disk, a network file system): a
     * server then makes it outside its event loop. A back end whose every call is quick
     * computation in memory answers false, and is called on the loop directly.
     */
    default boolean mayBlock() {
        return true;
    }

    /**
     * Whether {@link #read} on the open handle {@code h} waits only in the JDK's own I/O (no
     * native call that would pin a virtual thread's carrier), so a server may make it on a
     * virtual thread ({@code Coroutine.blocking}) instead of hopping to a platform thread.
     * By default only a back end that never blocks says yes.
     */
    default boolean readsWithoutPinning(Handle h) {
        return !mayBlock();
    }

    /** Like {@link #readsWithoutPinning}, for {@link #write} on the open handle {@code h}. */
    default boolean writesWithoutPinning(Handle h) {
        return !mayBlock();
    }

    /** Whether this back end refuses every modification with {@code EROFS}. */
    boolean readOnly();

    /** A new handle on the export root (Tattach). */
    Handle root() throws FsException;

    /**
     * A new handle on {@code name} in directory {@code dir} (one element of a Twalk). Symlinks
     * are never followed: walking to one gives a handle on the link itself.
     *
     * @throws FsException {@code ENOENT}, {@code ENOTDIR} when {@code dir} is not a directory,
     *     {@code EINVAL} for a malformed name
     */
    Handle walk(Handle dir, String name) throws FsException;

    /** A new, unopened handle on the same file as {@code h} (a Twalk without names). */
    Handle clone(Handle h) throws FsException;

    /**
     * The attributes of {@code h}'s file; {@code requestMask} ({@code P9.GETATTR_*}) says what
     * the client wants, {@link Attr#valid()} what was filled (at least the basic stat fields).
     */
    Attr getattr(Handle h, long requestMask) throws FsException;

    /**
     * Applies what {@code attr.valid()} selects: owner, mode, size (truncating through the
     * handle's open file if it has one, so it works after unlink), then access and modification
     * times, each the sent value or now.
     */
    void setattr(Handle h, SetAttr attr) throws FsException;

    /**
     * Opens {@code h} for I/O with Tlopen {@code flags} ({@code P9.DOTL_*}; create flags are
     * ignored); the handle keeps the open file until it is closed.
     *
     * @return the file's current qid
     * @throws FsException {@code ELOOP} for a symlink, {@code EISDIR} writing a directory,
     *     {@code ENOTDIR} for {@code O_DIRECTORY} on another file, {@code EINVAL} if already open
     */
    Qid open(Handle h, int flags) throws FsException;

    /**
     * Creates regular file {@code name} in {@code dir} with permission bits {@code mode} and
     * {@code owner}, and opens it with {@code flags} (Tlcreate). Without {@code DOTL_EXCL} an
     * existing file is opened instead, keeping its owner and mode.
     *
     * @return a new handle on the open file; {@code dir} is left as it was
     */
    Handle create(Handle dir, String name, int flags, int mode, Owner owner) throws FsException;

    /**
     * Reads into {@code dst} from {@code offset}, advancing its position.
     *
     * @return the bytes read, 0 at end of file
     * @throws FsException {@code EBADF} if {@code h} is not open for reading
     */
    int read(Handle h, long offset, ByteBuffer dst) throws FsException;

    /**
     * Writes {@code src} at {@code offset} (at the end for a handle opened with
     * {@code DOTL_APPEND}), advancing its position.
     *
     * @return the bytes written
     * @throws FsException {@code EBADF} if {@code h} is not open for writing
     */
    int write(Handle h, long offset, ByteBuffer src) throws FsException;

    /** Creates directory {@code name} in {@code dir}; {@code mode} holds permission bits. */
    Qid mkdir(Handle dir, String name, int mode, Owner owner) throws FsException;

    /** Creates symlink {@code name} in {@code dir} holding {@code target}, taken as-is. */
    Qid symlink(Handle dir, String name, String target, Owner owner) throws FsException;

    /**
     * Creates node {@code name} in {@code dir}: {@code mode} holds the type ({@code S_IFREG},
     * {@code S_IFIFO}, {@code S_IFSOCK}, {@code S_IFCHR}, {@code S_IFBLK}) and permission bits,
     * {@code major}:{@code minor} the device of a device node.
     */
    Qid mknod(Handle dir, String name, int mode, int major, int minor, Owner owner)
            throws FsException;

    /** Makes {@code name} in {@code dir} a hard link to {@code target}'s file (not a directory). */
    void link(Handle dir, String name, Handle target) throws FsException;

    /** The text of symlink {@code h}, as stored. {@code EINVAL} if it is not a symlink. */
    String readlink(Handle h) throws FsException;

    /**
     * Moves {@code h}'s file to {@code newName} in {@code newDir} (Trename), by the name it was
     * walked to; {@code ENOENT} if that name no longer holds the file.
     */
    void rename(Handle h, Handle newDir, String newName) throws FsException;

    /**
     * Moves {@code oldName} in {@code oldDir} to {@code newName} in {@code newDir}, as
     * renameat(2).
     */
    void renameat(Handle oldDir, String oldName, Handle newDir, String newName) throws FsException;

    /** Removes {@code name} from {@code dir}; {@code flags} is 0 or {@code P9.AT_REMOVEDIR}. */
    void unlinkat(Handle dir, String name, int flags) throws FsException;

    /**
     * Removes {@code h}'s file by the name it was walked to (Tremove); {@code ENOENT} if that
     * name no longer holds the file, {@code EBUSY} for the export root. {@code h} stays open.
     */
    void remove(Handle h) throws FsException;

    /**
     * Offers the entries of open directory {@code dir} after cookie {@code offset} (0: from the
     * start, {@code "."} and {@code ".."} included) to {@code sink}, in order, until it refuses
     * one ({@link DirPacker#add} fits) or the directory ends. Each entry's
     * {@link DirEntry#offset()} is the cookie to continue after it, valid in a later call on
     * any handle of the same directory: entries that stay in the directory are offered exactly
     * once across calls, whatever else is added or removed meanwhile.
     *
     * @throws FsException {@code EBADF} if {@code dir} is not open, {@code ENOTDIR}
     */
    void readdir(Handle dir, long offset, Predicate<DirEntry> sink) throws FsException;

    /** The statistics of the file system holding {@code h}'s file. */
    StatFs statfs(Handle h) throws FsException;

    /** Flushes {@code h}'s open file to stable storage, only its data if {@code datasync}. */
    void fsync(Handle h, boolean datasync) throws FsException;

    /**
     * The value of extended attribute {@code name}. {@code security.capability} answers
     * {@code ENODATA} at once: the Linux client asks for it before every write.
     */
    byte[] getxattr(Handle h, String name) throws FsException;

    /** The names of {@code h}'s extended attributes that a client may see. */
    List<String> listxattr(Handle h) throws FsException;

    /**
     * Sets extended attribute {@code name}; {@code flags} is 0, {@code P9.XATTR_CREATE}
     * ({@code EEXIST} if present) or {@code P9.XATTR_REPLACE} ({@code ENODATA} if absent).
     */
    void setxattr(Handle h, String name, byte[] value, int flags) throws FsException;

    /** Removes extended attribute {@code name}; {@code ENODATA} if absent. */
    void removexattr(Handle h, String name) throws FsException;

    /**
     * Releases what the back end itself holds; handles still open stay usable until closed.
     * Idempotent.
     */
    @Override
    void close();
}
