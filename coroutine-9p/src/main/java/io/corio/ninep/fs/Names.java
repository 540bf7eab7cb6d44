package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.charset.StandardCharsets;

/**
 * The checks every back end applies to a single path element, so that both answer malformed
 * and special names alike (see {@link Backend}'s class comment), and a log-safe rendering.
 */
final class Names {
    private Names() {}

    /** NAME_MAX on Linux: the longest name, in bytes. */
    static final int NAME_MAX = 255;
    /** XATTR_NAME_MAX on Linux. */
    static final int XATTR_NAME_MAX = 255;
    /** XATTR_SIZE_MAX on Linux: the largest value. */
    static final int XATTR_SIZE_MAX = P9.XATTR_SIZE_MAX;
    /** PATH_MAX on Linux: the longest symlink target, with its NUL. */
    static final int PATH_MAX = 4096;

    /** Asked by the Linux client before every write; answered ENODATA without a system call. */
    static final String SECURITY_CAPABILITY = "security.capability";

    private static final int LOG_MAX = 40;

    /** Checks the form of {@code name}: one element, not empty, no NUL, at most 255 bytes. */
    static void check(String op, String name) throws FsException {
        if (name == null) {
            throw new IllegalArgumentException(op + ": name is null");
        }
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new FsException(Errno.EINVAL, op + " of malformed name '" + forLog(name) + "'");
        }
        if (name.length() > NAME_MAX / 3 && utf8Length(name) > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, op + " of '" + forLog(name) + "'");
        }
    }

    static boolean isDot(String name) {
        return name.equals(".") || name.equals("..");
    }

    /** Checks the name of something to be made: {@code "."} and {@code ".."} exist already. */
    static void checkNew(String op, String name) throws FsException {
        check(op, name);
        if (isDot(name)) {
            throw new FsException(Errno.EEXIST, op + " of '" + name + "'");
        }
    }

    /** Checks a name in a rename: {@code "."} and {@code ".."} are busy, as in Linux. */
    static void checkRename(String op, String name) throws FsException {
        check(op, name);
        if (isDot(name)) {
            throw new FsException(Errno.EBUSY, op + " of '" + name + "'");
        }
    }

    /** Checks an unlinkat: its flags and what Linux answers for {@code "."} and {@code ".."}. */
    static void checkUnlink(String name, int flags) throws FsException {
        if ((flags & ~P9.AT_REMOVEDIR) != 0) {
            throw new FsException(Errno.EINVAL, "unlinkat flags 0x" + Integer.toHexString(flags));
        }
        check("unlinkat", name);
        if (isDot(name)) {
            int errno = (flags & P9.AT_REMOVEDIR) == 0 ? Errno.EISDIR
                    : name.equals(".") ? Errno.EINVAL : Errno.ENOTEMPTY;
            throw new FsException(errno, "unlinkat of '" + name + "'");
        }
    }

    /** Checks a symlink target: not empty ({@code ENOENT}), no NUL, shorter than PATH_MAX. */
    static void checkTarget(String target) throws FsException {
        if (target == null) {
            throw new IllegalArgumentException("symlink: target is null");
        }
        if (target.isEmpty()) {
            throw new FsException(Errno.ENOENT, "symlink to an empty target");
        }
        if (target.indexOf('\0') >= 0) {
            throw new FsException(Errno.EINVAL, "symlink target holds NUL");
        }
        if (utf8Length(target) >= PATH_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "symlink target");
        }
    }

    /** Checks an xattr name: {@code ERANGE} when empty or too long, as Linux answers. */
    static void checkXattr(String op, String name) throws FsException {
        if (name == null) {
            throw new IllegalArgumentException(op + ": name is null");
        }
        if (name.isEmpty() || utf8Length(name) > XATTR_NAME_MAX) {
            throw new FsException(Errno.ERANGE, op + " of xattr '" + forLog(name) + "'");
        }
        if (name.indexOf('\0') >= 0) {
            throw new FsException(Errno.EINVAL, op + " of xattr '" + forLog(name) + "'");
        }
    }

    /** Checks setxattr flags and value size. */
    static void checkXattrSet(String name, byte[] value, int flags) throws FsException {
        checkXattr("setxattr", name);
        if (value == null) {
            throw new IllegalArgumentException("setxattr: value is null");
        }
        if ((flags & ~(P9.XATTR_CREATE | P9.XATTR_REPLACE)) != 0
                || flags == (P9.XATTR_CREATE | P9.XATTR_REPLACE)) {
            throw new FsException(Errno.EINVAL, "setxattr flags " + flags);
        }
        if (value.length > XATTR_SIZE_MAX) {
            throw new FsException(Errno.E2BIG, "setxattr of " + value.length + " bytes");
        }
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * {@code name} fit for a log line: control characters escaped, at most 40 characters
     * (then an ellipsis), never null.
     */
    static String forLog(String name) {
        if (name == null) {
            return "?";
        }
        StringBuilder sb = new StringBuilder(Math.min(name.length(), LOG_MAX) + 4);
        for (int i = 0; i < name.length(); i++) {
            if (sb.length() >= LOG_MAX) {
                sb.append('…');
                break;
            }
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
