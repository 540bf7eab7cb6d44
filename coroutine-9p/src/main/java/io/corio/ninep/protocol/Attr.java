package io.corio.ninep.protocol;

/**
 * The body of Rgetattr, close to stat(2): {@code valid} says which fields hold data
 * ({@code P9.GETATTR_*}); {@code qid} (its path is the inode number); {@code mode} with file
 * type bits; owner {@code uid} and {@code gid}; {@code nlink}; device number {@code rdev};
 * {@code size} in bytes; preferred I/O size {@code blksize}; {@code blocks} of 512 bytes;
 * access, modification, status-change and birth times in seconds and nanoseconds;
 * {@code gen} and {@code dataVersion} (reserved, usually 0). Unsigned values are held as
 * their bits.
 */
public record Attr(long valid, Qid qid, int mode, int uid, int gid, long nlink, long rdev,
        long size, long blksize, long blocks,
        long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec,
        long ctimeSec, long ctimeNsec, long btimeSec, long btimeNsec,
        long gen, long dataVersion) {
    public Attr {
        Check.notNull("qid", qid);
    }
}
