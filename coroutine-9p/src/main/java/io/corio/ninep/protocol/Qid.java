package io.corio.ninep.protocol;

/**
 * A qid, the server's identity of a file: {@code type} is a set of {@code P9.QT*} bits (u8),
 * {@code version} changes when the file does (u32; 0 tells the client not to cache),
 * {@code path} is unique per file on this server (u64, like an inode number).
 */
public record Qid(int type, int version, long path) {
    public Qid {
        Check.u8("type", type);
    }

    /** Whether the type says directory. */
    public boolean isDirectory() {
        return (type & P9.QTDIR) != 0;
    }
}
