package io.corio.ninep.protocol;

import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.util.ArrayList;
import java.util.List;

/**
 * The field layouts of every message, read through a {@link WireReader}. Each method reads
 * the body that follows the header; the caller checks that nothing is left over.
 */
final class Decoder {
    private Decoder() {}

    static Tmessage request(int type, int tag, WireReader r) throws ProtocolException {
        return switch (type) {
            case P9.TVERSION -> new Tversion(tag, r.u32("msize"), r.str("version"));
            case P9.TAUTH -> new Tauth(tag, r.u32("afid"), r.str("uname"), r.str("aname"),
                    r.u32("n_uname"));
            case P9.TATTACH -> new Tattach(tag, r.u32("fid"), r.u32("afid"), r.str("uname"),
                    r.str("aname"), r.u32("n_uname"));
            case P9.TFLUSH -> new Tflush(tag, r.u16("oldtag"));
            case P9.TWALK -> walk(tag, r);
            case P9.TREAD -> new Tread(tag, r.u32("fid"), r.u64("offset"), r.u32("count"));
            case P9.TWRITE -> new Twrite(tag, r.u32("fid"), r.u64("offset"), r.data("data"));
            case P9.TCLUNK -> new Tclunk(tag, r.u32("fid"));
            case P9.TREMOVE -> new Tremove(tag, r.u32("fid"));
            case P9.TSTATFS -> new Tstatfs(tag, r.u32("fid"));
            case P9.TLOPEN -> new Tlopen(tag, r.u32("fid"), r.u32("flags"));
            case P9.TLCREATE -> new Tlcreate(tag, r.u32("fid"), r.str("name"), r.u32("flags"),
                    r.u32("mode"), r.u32("gid"));
            case P9.TSYMLINK -> new Tsymlink(tag, r.u32("fid"), r.str("name"), r.str("symtgt"),
                    r.u32("gid"));
            case P9.TMKNOD -> new Tmknod(tag, r.u32("dfid"), r.str("name"), r.u32("mode"),
                    r.u32("major"), r.u32("minor"), r.u32("gid"));
            case P9.TRENAME -> new Trename(tag, r.u32("fid"), r.u32("dfid"), r.str("name"));
            case P9.TREADLINK -> new Treadlink(tag, r.u32("fid"));
            case P9.TGETATTR -> new Tgetattr(tag, r.u32("fid"), r.u64("request_mask"));
            case P9.TSETATTR -> new Tsetattr(tag, r.u32("fid"), new SetAttr(r.u32("valid"),
                    r.u32("mode"), r.u32("uid"), r.u32("gid"), r.u64("size"),
                    r.u64("atime_sec"), r.u64("atime_nsec"),
                    r.u64("mtime_sec"), r.u64("mtime_nsec")));
            case P9.TXATTRWALK -> new Txattrwalk(tag, r.u32("fid"), r.u32("newfid"),
                    r.str("name"));
            case P9.TXATTRCREATE -> new Txattrcreate(tag, r.u32("fid"), r.str("name"),
                    r.u64("attr_size"), r.u32("flags"));
            case P9.TREADDIR -> new Treaddir(tag, r.u32("fid"), r.u64("offset"), r.u32("count"));
            case P9.TFSYNC -> new Tfsync(tag, r.u32("fid"), r.u32("datasync"));
            case P9.TLOCK -> new Tlock(tag, r.u32("fid"), r.u8("type"), r.u32("flags"),
                    r.u64("start"), r.u64("length"), r.u32("proc_id"), r.str("client_id"));
            case P9.TGETLOCK -> new Tgetlock(tag, r.u32("fid"), r.u8("type"), r.u64("start"),
                    r.u64("length"), r.u32("proc_id"), r.str("client_id"));
            case P9.TLINK -> new Tlink(tag, r.u32("dfid"), r.u32("fid"), r.str("name"));
            case P9.TMKDIR -> new Tmkdir(tag, r.u32("dfid"), r.str("name"), r.u32("mode"),
                    r.u32("gid"));
            case P9.TRENAMEAT -> new Trenameat(tag, r.u32("olddirfid"), r.str("oldname"),
                    r.u32("newdirfid"), r.str("newname"));
            case P9.TUNLINKAT -> new Tunlinkat(tag, r.u32("dirfd"), r.str("name"),
                    r.u32("flags"));
            default -> throw r.error(Errno.EOPNOTSUPP, "not a 9P2000.L request type");
        };
    }

    static Rmessage reply(int type, int tag, WireReader r) throws ProtocolException {
        return switch (type) {
            case P9.RLERROR -> new Rlerror(tag, r.u32("ecode"));
            case P9.RVERSION -> new Rversion(tag, r.u32("msize"), r.str("version"));
            case P9.RAUTH -> new Rauth(tag, r.qid("aqid"));
            case P9.RATTACH -> new Rattach(tag, r.qid("qid"));
            case P9.RFLUSH -> new Rflush(tag);
            case P9.RWALK -> new Rwalk(tag, qids(r));
            case P9.RREAD -> new Rread(tag, r.data("data"));
            case P9.RWRITE -> new Rwrite(tag, r.u32("count"));
            case P9.RCLUNK -> new Rclunk(tag);
            case P9.RREMOVE -> new Rremove(tag);
            case P9.RSTATFS -> new Rstatfs(tag, new StatFs(r.u32("type"), r.u32("bsize"),
                    r.u64("blocks"), r.u64("bfree"), r.u64("bavail"), r.u64("files"),
                    r.u64("ffree"), r.u64("fsid"), r.u32("namelen")));
            case P9.RLOPEN -> new Rlopen(tag, r.qid("qid"), r.u32("iounit"));
            case P9.RLCREATE -> new Rlcreate(tag, r.qid("qid"), r.u32("iounit"));
            case P9.RSYMLINK -> new Rsymlink(tag, r.qid("qid"));
            case P9.RMKNOD -> new Rmknod(tag, r.qid("qid"));
            case P9.RRENAME -> new Rrename(tag);
            case P9.RREADLINK -> new Rreadlink(tag, r.str("target"));
            case P9.RGETATTR -> new Rgetattr(tag, attr(r));
            case P9.RSETATTR -> new Rsetattr(tag);
            case P9.RXATTRWALK -> new Rxattrwalk(tag, r.u64("size"));
            case P9.RXATTRCREATE -> new Rxattrcreate(tag);
            case P9.RREADDIR -> new Rreaddir(tag, r.data("data"));
            case P9.RFSYNC -> new Rfsync(tag);
            case P9.RLOCK -> new Rlock(tag, r.u8("status"));
            case P9.RGETLOCK -> new Rgetlock(tag, r.u8("type"), r.u64("start"), r.u64("length"),
                    r.u32("proc_id"), r.str("client_id"));
            case P9.RLINK -> new Rlink(tag);
            case P9.RMKDIR -> new Rmkdir(tag, r.qid("qid"));
            case P9.RRENAMEAT -> new Rrenameat(tag);
            case P9.RUNLINKAT -> new Runlinkat(tag);
            default -> throw r.error(Errno.EOPNOTSUPP, "not a 9P2000.L reply type");
        };
    }

    /** Entries packed as in Rreaddir, up to the end of {@code r}. */
    static List<DirEntry> dirEntries(WireReader r) throws ProtocolException {
        List<DirEntry> entries = new ArrayList<>();
        while (r.remaining() > 0) {
            entries.add(new DirEntry(r.qid("qid"), r.u64("offset"), r.u8("type"),
                    r.str("name")));
        }
        return entries;
    }

    private static Twalk walk(int tag, WireReader r) throws ProtocolException {
        int fid = r.u32("fid");
        int newfid = r.u32("newfid");
        int n = r.u16("nwname");
        if (n > P9.MAX_WALK_ELEMENTS) {
            throw r.error(Errno.EINVAL, "nwname " + n + " is more than " + P9.MAX_WALK_ELEMENTS);
        }
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(r.str("wname"));
        }
        return new Twalk(tag, fid, newfid, names);
    }

    private static List<Qid> qids(WireReader r) throws ProtocolException {
        int n = r.u16("nwqid");
        if (n > P9.MAX_WALK_ELEMENTS) {
            throw r.error(Errno.EINVAL, "nwqid " + n + " is more than " + P9.MAX_WALK_ELEMENTS);
        }
        List<Qid> qids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            qids.add(r.qid("wqid"));
        }
        return qids;
    }

    private static Attr attr(WireReader r) throws ProtocolException {
        return new Attr(r.u64("valid"), r.qid("qid"), r.u32("mode"), r.u32("uid"),
                r.u32("gid"), r.u64("nlink"), r.u64("rdev"), r.u64("size"), r.u64("blksize"),
                r.u64("blocks"), r.u64("atime_sec"), r.u64("atime_nsec"), r.u64("mtime_sec"),
                r.u64("mtime_nsec"), r.u64("ctime_sec"), r.u64("ctime_nsec"),
                r.u64("btime_sec"), r.u64("btime_nsec"), r.u64("gen"), r.u64("data_version"));
    }
}
