package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * What a {@link SecurityModel} does on the host: how new files are made, where a client's
 * owner, mode and device number go, and how they are read back. {@link LocalBackend} does the
 * confinement and calls this with descriptors it holds; every {@code fd} here is one of them
 * (an {@code O_PATH} or open descriptor of the file concerned).
 */
abstract sealed class HostModel {

    static HostModel of(SecurityModel model) {
        return switch (model) {
            case PASSTHROUGH -> new Passthrough(false);
            case NONE -> new Passthrough(true);
            case MAPPED_XATTR -> new MappedXattr();
        };
    }

    /** The host permission bits of a new regular file the client wants with {@code mode}. */
    abstract int fileMode(int mode);

    /** The host permission bits of a new directory the client wants with {@code mode}. */
    abstract int dirMode(int mode);

    /** Makes node {@code name} of {@code type} ({@code S_IF*}, not a directory or symlink). */
    abstract void mknod(int dirfd, String name, int type, int mode, long rdev) throws FsException;

    /** Makes symlink {@code name} holding {@code target}. */
    abstract void symlink(int dirfd, String name, String target) throws FsException;

    /** Gives a node just made the client's owner and full {@code mode} (type bits included). */
    abstract void initOwner(int fd, int mode, Owner owner, long rdev) throws FsException;

    /** Changes the owner as the client sees it; -1 leaves a value as it is. */
    abstract void chown(int fd, int uid, int gid) throws FsException;

    /** Changes the permission bits as the client sees them; {@code view} is the current stat. */
    abstract void chmod(int fd, Stat view, int mode) throws FsException;

    /** The file as the client sees it. */
    abstract Stat stat(int fd) throws FsException;

    /** The target of a file whose client view ({@code view}) is a symlink. */
    abstract String readlink(int fd, Stat view) throws FsException;

    /**
     * Checks that a client may use xattr {@code name} at all, before the host is asked:
     * throws what a hidden or refused name answers for {@code op}.
     */
    abstract void checkXattr(String op, String name) throws FsException;

    /** Whether {@code listxattr} shows {@code name} to the client. */
    abstract boolean listsXattr(String name);

    /** passthrough and none: the host file is the client's file. */
    static final class Passthrough extends HostModel {
        private final boolean ignoreChownFailure; // the "none" model

        Passthrough(boolean ignoreChownFailure) {
            this.ignoreChownFailure = ignoreChownFailure;
        }

        @Override
        int fileMode(int mode) {
            return mode & Posix.S_IALLUGO;
        }

        @Override
        int dirMode(int mode) {
            return mode & Posix.S_IALLUGO;
        }

        @Override
        void mknod(int dirfd, String name, int type, int mode, long rdev) throws FsException {
            Libc.mknodat(dirfd, name, type | (mode & Posix.S_IALLUGO), rdev);
        }

        @Override
        void symlink(int dirfd, String name, String target) throws FsException {
            Libc.symlinkat(target, dirfd, name);
        }

        @Override
        void initOwner(int fd, int mode, Owner owner, long rdev) throws FsException {
            chown(fd, owner.uid(), owner.gid());
            if (!Posix.isLink(mode)) {
                // after chown, which clears set-id bits; and past the server's umask
                Libc.chmod(fd, mode & Posix.S_IALLUGO);
            }
        }

        @Override
        void chown(int fd, int uid, int gid) throws FsException {
            try {
                Libc.fchown(fd, uid, gid);
            } catch (FsException e) {
                if (!ignoreChownFailure) {
                    throw e;
                }
            }
        }

        @Override
        void chmod(int fd, Stat view, int mode) throws FsException {
            Libc.chmod(fd, mode & Posix.S_IALLUGO);
        }

        @Override
        Stat stat(int fd) throws FsException {
            return Libc.statx(fd, "");
        }

        @Override
        String readlink(int fd, Stat view) throws FsException {
            return Libc.readlink(fd);
        }

        @Override
        void checkXattr(String op, String name) {}

        @Override
        boolean listsXattr(String name) {
            return true;
        }
    }

    /**
     * mapped-xattr: the client's owner, mode and device number live in {@code user.virtfs.*}
     * xattrs, in QEMU's encoding; host files stay the server's, with safe modes.
     */
    static final class MappedXattr extends HostModel {
        static final String PREFIX = "user.virtfs.";
        static final String UID = PREFIX + "uid";
        static final String GID = PREFIX + "gid";
        static final String MODE = PREFIX + "mode";
        static final String RDEV = PREFIX + "rdev";
        /** QEMU's SM_LOCAL_MODE_BITS and SM_LOCAL_DIR_MODE_BITS. */
        static final int HOST_FILE_MODE = 0600;
        static final int HOST_DIR_MODE = 0700;

        @Override
        int fileMode(int mode) {
            return HOST_FILE_MODE;
        }

        @Override
        int dirMode(int mode) {
            return HOST_DIR_MODE;
        }

        @Override
        void mknod(int dirfd, String name, int type, int mode, long rdev) throws FsException {
            Libc.mknodat(dirfd, name, Posix.S_IFREG | HOST_FILE_MODE, 0);
        }

        @Override
        void symlink(int dirfd, String name, String target) throws FsException {
            int fd = Libc.openat(dirfd, name, Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY
                    | Libc.O_NOFOLLOW, HOST_FILE_MODE);
            try {
                ByteBuffer text = ByteBuffer.wrap(target.getBytes(StandardCharsets.UTF_8));
                while (text.hasRemaining()) {
                    Libc.pwrite(fd, text, text.position());
                }
            } catch (FsException e) {
                Libc.close(fd);
                Libc.unlinkQuietly(dirfd, name, 0);
                throw e;
            }
            Libc.close(fd);
        }

        @Override
        void initOwner(int fd, int mode, Owner owner, long rdev) throws FsException {
            put(fd, UID, owner.uid());
            put(fd, GID, owner.gid());
            put(fd, MODE, mode);
            int type = mode & Posix.S_IFMT;
            if (type == Posix.S_IFCHR || type == Posix.S_IFBLK) {
                Libc.setxattr(fd, RDEV, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(rdev).array(), 0);
            }
        }

        @Override
        void chown(int fd, int uid, int gid) throws FsException {
            if (uid != -1) {
                put(fd, UID, uid);
            }
            if (gid != -1) {
                put(fd, GID, gid);
            }
        }

        @Override
        void chmod(int fd, Stat view, int mode) throws FsException {
            put(fd, MODE, view.type() | (mode & Posix.S_IALLUGO));
        }

        @Override
        Stat stat(int fd) throws FsException {
            Stat host = Libc.statx(fd, "");
            if (Posix.isLink(host.mode())) {
                return host; // a host symlink can hold no user.* xattr
            }
            int uid = get32(fd, UID, host.uid());
            int gid = get32(fd, GID, host.gid());
            int mode = get32(fd, MODE, host.mode());
            // a directory is always a directory, and only a host regular file may stand for a
            // symlink or device; a stored type saying otherwise is ignored
            if (!Posix.isReg(host.mode()) || Posix.isDir(mode) || (mode & Posix.S_IFMT) == 0) {
                mode = host.type() | (mode & Posix.S_IALLUGO);
            }
            long rdev = host.rdev();
            int type = mode & Posix.S_IFMT;
            if (type == Posix.S_IFCHR || type == Posix.S_IFBLK) {
                byte[] v = getOrNull(fd, RDEV);
                if (v != null && v.length == 8) {
                    rdev = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
                }
            }
            return host.withClientView(mode, uid, gid, rdev);
        }

        @Override
        String readlink(int fd, Stat view) throws FsException {
            Stat host = Libc.statx(fd, "");
            if (Posix.isLink(host.mode())) {
                return Libc.readlink(fd);
            }
            int in = Libc.reopen(fd, Libc.O_RDONLY);
            try {
                ByteBuffer buf = ByteBuffer.allocate(Names.PATH_MAX);
                while (buf.hasRemaining() && Libc.pread(in, buf, buf.position()) > 0) {
                    // read until end of file or PATH_MAX
                }
                return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            } finally {
                Libc.close(in);
            }
        }

        @Override
        void checkXattr(String op, String name) throws FsException {
            if (name.startsWith(PREFIX)) {
                // hidden: reading answers "absent", writing is refused, as in QEMU
                throw new FsException(op.equals("getxattr") ? Errno.ENODATA : Errno.EACCES,
                        op + " of a mapped-xattr attribute");
            }
            if (!name.startsWith("user.")) {
                throw new FsException(op.equals("getxattr") ? Errno.ENODATA : Errno.EOPNOTSUPP,
                        op + " outside user.* under mapped-xattr");
            }
        }

        @Override
        boolean listsXattr(String name) {
            return name.startsWith("user.") && !name.startsWith(PREFIX);
        }

        private static void put(int fd, String name, int value) throws FsException {
            Libc.setxattr(fd, name, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(value).array(), 0);
        }

        private static int get32(int fd, String name, int absent) throws FsException {
            byte[] v = getOrNull(fd, name);
            return v != null && v.length == 4
                    ? ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getInt() : absent;
        }

        private static byte[] getOrNull(int fd, String name) throws FsException {
            try {
                return Libc.getxattr(fd, name);
            } catch (FsException e) {
                if (e.errno() == Errno.ENODATA) {
                    return null;
                }
                throw e;
            }
        }
    }
}
