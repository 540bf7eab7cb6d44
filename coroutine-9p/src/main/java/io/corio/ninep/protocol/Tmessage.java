package io.corio.ninep.protocol;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A 9P2000.L request, client to server. Every request carries a {@code tag} (u16) that its
 * reply repeats; Tversion uses {@link P9#NOTAG}. Fids are u32, held as {@code int} bits
 * ({@link P9#NOFID} is {@code -1}); other unsigned fields likewise. The records check ranges
 * and nulls only; what a value means is the server's business. {@link Codec} encodes and
 * decodes them.
 */
public sealed interface Tmessage {
    /** The request's tag, 0..0xFFFF. */
    int tag();

    /** Tversion: offer the largest frame size {@code msize} and the protocol {@code version}. */
    record Tversion(int tag, int msize, String version) implements Tmessage {
        public Tversion {
            Check.u16("tag", tag);
            Check.notNull("version", version);
        }
    }

    /**
     * Tauth: open {@code afid} for authenticating {@code uname}/{@code nUname} to {@code aname}.
     */
    record Tauth(int tag, int afid, String uname, String aname, int nUname) implements Tmessage {
        public Tauth {
            Check.u16("tag", tag);
            Check.notNull("uname", uname);
            Check.notNull("aname", aname);
        }
    }

    /**
     * Tattach: make {@code fid} the root of tree {@code aname} for user {@code nUname} (or by
     * name {@code uname} when {@code nUname} is {@link P9#NONUNAME}); {@code afid} is
     * {@link P9#NOFID} without authentication.
     */
    record Tattach(int tag, int fid, int afid, String uname, String aname, int nUname)
            implements Tmessage {
        public Tattach {
            Check.u16("tag", tag);
            Check.notNull("uname", uname);
            Check.notNull("aname", aname);
        }
    }

    /** Tflush: abort the request tagged {@code oldtag}, if it is still running. */
    record Tflush(int tag, int oldtag) implements Tmessage {
        public Tflush {
            Check.u16("tag", tag);
            Check.u16("oldtag", oldtag);
        }
    }

    /**
     * Twalk: walk from {@code fid} through {@code names} (at most
     * {@link P9#MAX_WALK_ELEMENTS}) and bind the result to {@code newfid}; no names clones.
     */
    record Twalk(int tag, int fid, int newfid, List<String> names) implements Tmessage {
        public Twalk {
            Check.u16("tag", tag);
            names = List.copyOf(names);
            if (names.size() > P9.MAX_WALK_ELEMENTS) {
                throw new IllegalArgumentException("names: more than " + P9.MAX_WALK_ELEMENTS
                        + " walk elements: " + names.size());
            }
        }
    }

    /** Tread: read up to {@code count} bytes (u32) of open {@code fid} at {@code offset}. */
    record Tread(int tag, int fid, long offset, int count) implements Tmessage {
        public Tread {
            Check.u16("tag", tag);
        }
    }

    /**
     * Twrite: write the remaining bytes of {@code data} to open {@code fid} at {@code offset}.
     * Decoded, {@code data} is a read-only view of the frame, valid as long as the frame is.
     * Equality compares the remaining bytes.
     */
    record Twrite(int tag, int fid, long offset, ByteBuffer data) implements Tmessage {
        public Twrite {
            Check.u16("tag", tag);
            Check.notNull("data", data);
        }
    }

    /** Tclunk: forget {@code fid}. */
    record Tclunk(int tag, int fid) implements Tmessage {
        public Tclunk {
            Check.u16("tag", tag);
        }
    }

    /** Tremove: remove the file of {@code fid}, and clunk the fid whatever the outcome. */
    record Tremove(int tag, int fid) implements Tmessage {
        public Tremove {
            Check.u16("tag", tag);
        }
    }

    /** Tstatfs: describe the file system holding {@code fid}. */
    record Tstatfs(int tag, int fid) implements Tmessage {
        public Tstatfs {
            Check.u16("tag", tag);
        }
    }

    /** Tlopen: open {@code fid} for I/O with Linux open(2) {@code flags} ({@code P9.DOTL_*}). */
    record Tlopen(int tag, int fid, int flags) implements Tmessage {
        public Tlopen {
            Check.u16("tag", tag);
        }
    }

    /**
     * Tlcreate: create regular file {@code name} in directory {@code fid} with open
     * {@code flags}, permission {@code mode} and group {@code gid}; {@code fid} becomes the
     * open new file.
     */
    record Tlcreate(int tag, int fid, String name, int flags, int mode, int gid)
            implements Tmessage {
        public Tlcreate {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /**
     * Tsymlink: create symlink {@code name} to {@code target} in directory {@code fid}, group
     * {@code gid}.
     */
    record Tsymlink(int tag, int fid, String name, String target, int gid) implements Tmessage {
        public Tsymlink {
            Check.u16("tag", tag);
            Check.notNull("name", name);
            Check.notNull("target", target);
        }
    }

    /**
     * Tmknod: create node {@code name} in directory {@code dfid} with {@code mode} (type and
     * permission bits), device {@code major}:{@code minor} and group {@code gid}.
     */
    record Tmknod(int tag, int dfid, String name, int mode, int major, int minor, int gid)
            implements Tmessage {
        public Tmknod {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /** Trename: move the file of {@code fid} to {@code name} in directory {@code dfid}. */
    record Trename(int tag, int fid, int dfid, String name) implements Tmessage {
        public Trename {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /** Treadlink: read the target of symlink {@code fid}. */
    record Treadlink(int tag, int fid) implements Tmessage {
        public Treadlink {
            Check.u16("tag", tag);
        }
    }

    /**
     * Tgetattr: get the attributes of {@code fid} that {@code requestMask} ({@code P9.GETATTR_*})
     * asks for.
     */
    record Tgetattr(int tag, int fid, long requestMask) implements Tmessage {
        public Tgetattr {
            Check.u16("tag", tag);
        }
    }

    /** Tsetattr: set the attributes of {@code fid} that {@code attr.valid()} selects. */
    record Tsetattr(int tag, int fid, SetAttr attr) implements Tmessage {
        public Tsetattr {
            Check.u16("tag", tag);
            Check.notNull("attr", attr);
        }
    }

    /**
     * Txattrwalk: bind {@code newfid} to extended attribute {@code name} of {@code fid} for
     * reading, or to the list of names when {@code name} is empty.
     */
    record Txattrwalk(int tag, int fid, int newfid, String name) implements Tmessage {
        public Txattrwalk {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /**
     * Txattrcreate: turn {@code fid} into a writer of extended attribute {@code name}, of
     * {@code attrSize} bytes, set with setxattr(2) {@code flags} when the fid is clunked.
     */
    record Txattrcreate(int tag, int fid, String name, long attrSize, int flags)
            implements Tmessage {
        public Txattrcreate {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /**
     * Treaddir: read at most {@code count} bytes of entries of open directory {@code fid} after
     * cookie {@code offset}.
     */
    record Treaddir(int tag, int fid, long offset, int count) implements Tmessage {
        public Treaddir {
            Check.u16("tag", tag);
        }
    }

    /**
     * Tfsync: flush {@code fid}'s data to stable storage; metadata too unless {@code datasync} is
     * non-zero.
     */
    record Tfsync(int tag, int fid, int datasync) implements Tmessage {
        public Tfsync {
            Check.u16("tag", tag);
        }
    }

    /**
     * Tlock: take or release ({@code type}, {@code P9.LOCK_TYPE_*}, u8) a POSIX record lock
     * on {@code length} bytes (0: to the end) at {@code start} of {@code fid}, for process
     * {@code procId} of host {@code clientId}; {@code flags} are {@code P9.LOCK_FLAGS_*}.
     */
    record Tlock(int tag, int fid, int type, int flags, long start, long length, int procId,
            String clientId) implements Tmessage {
        public Tlock {
            Check.u16("tag", tag);
            Check.u8("type", type);
            Check.notNull("clientId", clientId);
        }
    }

    /**
     * Tgetlock: test whether a lock like this one ({@link Tlock}'s fields) could be taken on {@code
     * fid}.
     */
    record Tgetlock(int tag, int fid, int type, long start, long length, int procId,
            String clientId) implements Tmessage {
        public Tgetlock {
            Check.u16("tag", tag);
            Check.u8("type", type);
            Check.notNull("clientId", clientId);
        }
    }

    /**
     * Tlink: create hard link {@code name} in directory {@code dfid} to the file of {@code fid}.
     */
    record Tlink(int tag, int dfid, int fid, String name) implements Tmessage {
        public Tlink {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /**
     * Tmkdir: create directory {@code name} in {@code dfid} with permission {@code mode} and group
     * {@code gid}.
     */
    record Tmkdir(int tag, int dfid, String name, int mode, int gid) implements Tmessage {
        public Tmkdir {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }

    /**
     * Trenameat: rename {@code oldName} in directory {@code oldDirFid} to {@code newName} in {@code
     * newDirFid}.
     */
    record Trenameat(int tag, int oldDirFid, String oldName, int newDirFid, String newName)
            implements Tmessage {
        public Trenameat {
            Check.u16("tag", tag);
            Check.notNull("oldName", oldName);
            Check.notNull("newName", newName);
        }
    }

    /**
     * Tunlinkat: remove {@code name} from directory {@code dirFid}; {@code flags} may hold {@link
     * P9#AT_REMOVEDIR}.
     */
    record Tunlinkat(int tag, int dirFid, String name, int flags) implements Tmessage {
        public Tunlinkat {
            Check.u16("tag", tag);
            Check.notNull("name", name);
        }
    }
}
