package io.corio.ninep.protocol;

/**
 * The body of Rstatfs, statfs(2)'s fields: {@code type} file-system magic (u32),
 * {@code bsize} block size (u32), {@code blocks}/{@code bfree}/{@code bavail} total, free and
 * unprivileged-free blocks, {@code files}/{@code ffree} total and free inodes, {@code fsid}
 * file-system id, {@code namelen} longest name (u32). Unsigned values are held as their bits.
 */
public record StatFs(int type, int bsize, long blocks, long bfree, long bavail, long files,
        long ffree, long fsid, int namelen) {}
