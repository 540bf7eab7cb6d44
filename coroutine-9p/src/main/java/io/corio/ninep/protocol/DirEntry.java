package io.corio.ninep.protocol;

/**
 * One readdir entry: the file's {@code qid}; {@code offset}, the opaque cookie a client sends
 * back in Treaddir to continue after this entry; {@code type}, a Linux {@code d_type}
 * ({@code P9.DT_*}, u8); and {@code name}, the entry's name. Packed by {@link DirPacker},
 * unpacked by {@link Codec#decodeDirEntries}.
 */
public record DirEntry(Qid qid, long offset, int type, String name) {
    public DirEntry {
        Check.notNull("qid", qid);
        Check.u8("type", type);
        Check.notNull("name", name);
    }
}
