package io.corio.ninep.protocol;

/**
 * The body of Tsetattr: {@code valid} says which fields to apply ({@code P9.SETATTR_*});
 * {@code mode} as chmod(2); {@code uid}, {@code gid} as chown(2); {@code size} as
 * truncate(2); access and modification times, used only with {@code SETATTR_ATIME_SET} /
 * {@code SETATTR_MTIME_SET} (without them the server's current time is meant).
 */
public record SetAttr(int valid, int mode, int uid, int gid, long size,
        long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) {

    /** Whether every bit of {@code mask} is set in {@link #valid}. */
    public boolean has(int mask) {
        return (valid & mask) == mask;
    }
}
