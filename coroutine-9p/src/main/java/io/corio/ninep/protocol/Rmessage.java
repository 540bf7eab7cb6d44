package io.corio.ninep.protocol;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A 9P2000.L reply, server to client, carrying the {@code tag} of its request. Any request
 * may be answered with {@link Rlerror} instead of its own reply. Unsigned fields are held as
 * {@code int}/{@code long} bits, as in {@link Tmessage}. {@link Codec} encodes and decodes
 * them.
 */
public sealed interface Rmessage {
    /** The tag of the request this answers, 0..0xFFFF. */
    int tag();

    /** Rlerror: the request failed with Linux errno {@code ecode} ({@link Errno}). */
    record Rlerror(int tag, int ecode) implements Rmessage {
        public Rlerror {
            Check.u16("tag", tag);
        }

        @Override
        public String toString() {
            return "Rlerror[tag=" + tag + ", ecode=" + Errno.name(ecode) + "]";
        }
    }

    /** Rversion: the agreed {@code msize} and {@code version} (or {@link P9#VERSION_UNKNOWN}). */
    record Rversion(int tag, int msize, String version) implements Rmessage {
        public Rversion {
            Check.u16("tag", tag);
            Check.notNull("version", version);
        }
    }

    /** Rauth: {@code aqid} names the authentication file now open on the afid. */
    record Rauth(int tag, Qid aqid) implements Rmessage {
        public Rauth {
            Check.u16("tag", tag);
            Check.notNull("aqid", aqid);
        }
    }

    /** Rattach: the attach fid now names the root, whose qid is {@code qid}. */
    record Rattach(int tag, Qid qid) implements Rmessage {
        public Rattach {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rflush: the flushed request is answered or forgotten; its tag is free again. */
    record Rflush(int tag) implements Rmessage {
        public Rflush {
            Check.u16("tag", tag);
        }
    }

    /**
     * Rwalk: one qid per name walked; fewer than asked (but at least one) means the walk
     * stopped there and newfid was not bound.
     */
    record Rwalk(int tag, List<Qid> qids) implements Rmessage {
        public Rwalk {
            Check.u16("tag", tag);
            qids = List.copyOf(qids);
            if (qids.size() > P9.MAX_WALK_ELEMENTS) {
                throw new IllegalArgumentException("qids: more than " + P9.MAX_WALK_ELEMENTS
                        + " walk elements: " + qids.size());
            }
        }
    }

    /**
     * Rread: the bytes read are the remaining bytes of {@code data} (none at end of file).
     * The codec writes them without consuming {@code data}; decoded, {@code data} is a
     * read-only view of the frame. Equality compares the remaining bytes.
     */
    record Rread(int tag, ByteBuffer data) implements Rmessage {
        public Rread {
            Check.u16("tag", tag);
            Check.notNull("data", data);
        }
    }

    /** Rwrite: {@code count} bytes (u32) were written. */
    record Rwrite(int tag, int count) implements Rmessage {
        public Rwrite {
            Check.u16("tag", tag);
        }
    }

    /** Rclunk: the fid is forgotten. */
    record Rclunk(int tag) implements Rmessage {
        public Rclunk {
            Check.u16("tag", tag);
        }
    }

    /** Rremove: the file is removed and the fid clunked. */
    record Rremove(int tag) implements Rmessage {
        public Rremove {
            Check.u16("tag", tag);
        }
    }

    /** Rstatfs: the file system's statistics. */
    record Rstatfs(int tag, StatFs statfs) implements Rmessage {
        public Rstatfs {
            Check.u16("tag", tag);
            Check.notNull("statfs", statfs);
        }
    }

    /**
     * Rlopen: the opened file's {@code qid}, and {@code iounit}, the best I/O size (0:
     * msize-based).
     */
    record Rlopen(int tag, Qid qid, int iounit) implements Rmessage {
        public Rlopen {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rlcreate: the new file's {@code qid} and {@code iounit}, as Rlopen. */
    record Rlcreate(int tag, Qid qid, int iounit) implements Rmessage {
        public Rlcreate {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rsymlink: the new symlink's {@code qid}. */
    record Rsymlink(int tag, Qid qid) implements Rmessage {
        public Rsymlink {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rmknod: the new node's {@code qid}. */
    record Rmknod(int tag, Qid qid) implements Rmessage {
        public Rmknod {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rrename: the file is renamed. */
    record Rrename(int tag) implements Rmessage {
        public Rrename {
            Check.u16("tag", tag);
        }
    }

    /** Rreadlink: the symlink's {@code target}. */
    record Rreadlink(int tag, String target) implements Rmessage {
        public Rreadlink {
            Check.u16("tag", tag);
            Check.notNull("target", target);
        }
    }

    /** Rgetattr: the file's attributes; {@code attr.valid()} says which are meaningful. */
    record Rgetattr(int tag, Attr attr) implements Rmessage {
        public Rgetattr {
            Check.u16("tag", tag);
            Check.notNull("attr", attr);
        }
    }

    /** Rsetattr: the attributes are set. */
    record Rsetattr(int tag) implements Rmessage {
        public Rsetattr {
            Check.u16("tag", tag);
        }
    }

    /**
     * Rxattrwalk: the attribute's value (or name list) is {@code size} bytes, to be read on the new
     * fid.
     */
    record Rxattrwalk(int tag, long size) implements Rmessage {
        public Rxattrwalk {
            Check.u16("tag", tag);
        }
    }

    /** Rxattrcreate: the fid now takes the attribute's value by Twrite. */
    record Rxattrcreate(int tag) implements Rmessage {
        public Rxattrcreate {
            Check.u16("tag", tag);
        }
    }

    /**
     * Rreaddir: the remaining bytes of {@code data} are packed entries ({@link DirPacker});
     * none means end of directory. Written and decoded without copies, as {@link Rread}.
     */
    record Rreaddir(int tag, ByteBuffer data) implements Rmessage {
        public Rreaddir {
            Check.u16("tag", tag);
            Check.notNull("data", data);
        }
    }

    /** Rfsync: the data is on stable storage. */
    record Rfsync(int tag) implements Rmessage {
        public Rfsync {
            Check.u16("tag", tag);
        }
    }

    /**
     * Rlock: the outcome {@code status} ({@code P9.LOCK_SUCCESS}, {@code _BLOCKED}, {@code _ERROR},
     * {@code _GRACE}; u8).
     */
    record Rlock(int tag, int status) implements Rmessage {
        public Rlock {
            Check.u16("tag", tag);
            Check.u8("status", status);
        }
    }

    /**
     * Rgetlock: the conflicting lock, or the tested one with {@code type}
     * {@link P9#LOCK_TYPE_UNLCK} when none conflicts; fields as in {@link Tmessage.Tlock}.
     */
    record Rgetlock(int tag, int type, long start, long length, int procId, String clientId)
            implements Rmessage {
        public Rgetlock {
            Check.u16("tag", tag);
            Check.u8("type", type);
            Check.notNull("clientId", clientId);
        }
    }

    /** Rlink: the hard link exists. */
    record Rlink(int tag) implements Rmessage {
        public Rlink {
            Check.u16("tag", tag);
        }
    }

    /** Rmkdir: the new directory's {@code qid}. */
    record Rmkdir(int tag, Qid qid) implements Rmessage {
        public Rmkdir {
            Check.u16("tag", tag);
            Check.notNull("qid", qid);
        }
    }

    /** Rrenameat: the entry is renamed. */
    record Rrenameat(int tag) implements Rmessage {
        public Rrenameat {
            Check.u16("tag", tag);
        }
    }

    /** Runlinkat: the entry is removed. */
    record Runlinkat(int tag) implements Rmessage {
        public Runlinkat {
            Check.u16("tag", tag);
        }
    }
}
