package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes for {@link LocalBackend}, through the handle's {@code O_PATH}
 * descriptor ({@code /proc/self/fd/N}, so a symlink's own attributes, never its target's).
 * Names are checked first; then the security model says which names a client may see and
 * touch (mapped-xattr hides and protects its own {@code user.virtfs.*}); writes on a
 * read-only export are EROFS. {@code security.capability} reads answer ENODATA at once, the
 * answer Linux asks for on every write.
 */
final class LocalXattrs {
    private final LocalBackend backend;
    private final HostModel model;

    LocalXattrs(LocalBackend backend, HostModel model) {
        this.backend = backend;
        this.model = model;
    }

    byte[] get(LocalHandle l, String name) throws FsException {
        Names.checkXattr("getxattr", name);
        if (name.equals(Names.SECURITY_CAPABILITY)) {
            throw new FsException(Errno.ENODATA, "getxattr security.capability");
        }
        model.checkXattr("getxattr", name);
        Fd f = l.retainPath();
        try {
            return Libc.getxattr(f.fd, name);
        } finally {
            f.release();
        }
    }

    List<String> list(LocalHandle l) throws FsException {
        Fd f = l.retainPath();
        try {
            List<String> names = new ArrayList<>();
            for (String n : Libc.listxattr(f.fd)) {
                if (model.listsXattr(n)) {
                    names.add(n);
                }
            }
            return names;
        } finally {
            f.release();
        }
    }

    void set(LocalHandle l, String name, byte[] value, int flags) throws FsException {
        Names.checkXattrSet(name, value, flags);
        backend.checkWritable("setxattr");
        model.checkXattr("setxattr", name);
        Fd f = l.retainPath();
        try {
            Libc.setxattr(f.fd, name, value, flags);
        } finally {
            f.release();
        }
    }

    void remove(LocalHandle l, String name) throws FsException {
        Names.checkXattr("removexattr", name);
        backend.checkWritable("removexattr");
        model.checkXattr("removexattr", name);
        Fd f = l.retainPath();
        try {
            Libc.removexattr(f.fd, name);
        } finally {
            f.release();
        }
    }
}
