package io.corio.ninep.protocol;

import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;

/** The field layouts of every message, written through a {@link WireWriter}. */
final class Encoder {
    private Encoder() {}

    static void request(Tmessage message, WireWriter w) {
        switch (message) {
            case Tversion m -> {
                w.header(P9.TVERSION, m.tag());
                w.u32(m.msize());
                w.str("version", m.version());
            }
            case Tauth m -> {
                w.header(P9.TAUTH, m.tag());
                w.u32(m.afid());
                w.str("uname", m.uname());
                w.str("aname", m.aname());
                w.u32(m.nUname());
            }
            case Tattach m -> {
                w.header(P9.TATTACH, m.tag());
                w.u32(m.fid());
                w.u32(m.afid());
                w.str("uname", m.uname());
                w.str("aname", m.aname());
                w.u32(m.nUname());
            }
            case Tflush m -> {
                w.header(P9.TFLUSH, m.tag());
                w.u16(m.oldtag());
            }
            case Twalk m -> {
                w.header(P9.TWALK, m.tag());
                w.u32(m.fid());
                w.u32(m.newfid());
                w.u16(m.names().size());
                for (String name : m.names()) {
                    w.str("names", name);
                }
            }
            case Tread m -> {
                w.header(P9.TREAD, m.tag());
                w.u32(m.fid());
                w.u64(m.offset());
                w.u32(m.count());
            }
            case Twrite m -> {
                w.header(P9.TWRITE, m.tag());
                w.u32(m.fid());
                w.u64(m.offset());
                w.data(m.data());
            }
            case Tclunk m -> fid(w, P9.TCLUNK, m.tag(), m.fid());
            case Tremove m -> fid(w, P9.TREMOVE, m.tag(), m.fid());
            case Tstatfs m -> fid(w, P9.TSTATFS, m.tag(), m.fid());
            case Treadlink m -> fid(w, P9.TREADLINK, m.tag(), m.fid());
            case Tlopen m -> {
                w.header(P9.TLOPEN, m.tag());
                w.u32(m.fid());
                w.u32(m.flags());
            }
            case Tlcreate m -> {
                w.header(P9.TLCREATE, m.tag());
                w.u32(m.fid());
                w.str("name", m.name());
                w.u32(m.flags());
                w.u32(m.mode());
                w.u32(m.gid());
            }
            case Tsymlink m -> {
                w.header(P9.TSYMLINK, m.tag());
                w.u32(m.fid());
                w.str("name", m.name());
                w.str("target", m.target());
                w.u32(m.gid());
            }
            case Tmknod m -> {
                w.header(P9.TMKNOD, m.tag());
                w.u32(m.dfid());
                w.str("name", m.name());
                w.u32(m.mode());
                w.u32(m.major());
                w.u32(m.minor());
                w.u32(m.gid());
            }
            case Trename m -> {
                w.header(P9.TRENAME, m.tag());
                w.u32(m.fid());
                w.u32(m.dfid());
                w.str("name", m.name());
            }
            case Tgetattr m -> {
                w.header(P9.TGETATTR, m.tag());
                w.u32(m.fid());
                w.u64(m.requestMask());
            }
            case Tsetattr m -> {
                w.header(P9.TSETATTR, m.tag());
                w.u32(m.fid());
                SetAttr a = m.attr();
                w.u32(a.valid());
                w.u32(a.mode());
                w.u32(a.uid());
                w.u32(a.gid());
                w.u64(a.size());
                w.u64(a.atimeSec());
                w.u64(a.atimeNsec());
                w.u64(a.mtimeSec());
                w.u64(a.mtimeNsec());
            }
            case Txattrwalk m -> {
                w.header(P9.TXATTRWALK, m.tag());
                w.u32(m.fid());
                w.u32(m.newfid());
                w.str("name", m.name());
            }
            case Txattrcreate m -> {
                w.header(P9.TXATTRCREATE, m.tag());
                w.u32(m.fid());
                w.str("name", m.name());
                w.u64(m.attrSize());
                w.u32(m.flags());
            }
            case Treaddir m -> {
                w.header(P9.TREADDIR, m.tag());
                w.u32(m.fid());
                w.u64(m.offset());
                w.u32(m.count());
            }
            case Tfsync m -> {
                w.header(P9.TFSYNC, m.tag());
                w.u32(m.fid());
                w.u32(m.datasync());
            }
            case Tlock m -> {
                w.header(P9.TLOCK, m.tag());
                w.u32(m.fid());
                w.u8(m.type());
                w.u32(m.flags());
                w.u64(m.start());
                w.u64(m.length());
                w.u32(m.procId());
                w.str("clientId", m.clientId());
            }
            case Tgetlock m -> {
                w.header(P9.TGETLOCK, m.tag());
                w.u32(m.fid());
                w.u8(m.type());
                w.u64(m.start());
                w.u64(m.length());
                w.u32(m.procId());
                w.str("clientId", m.clientId());
            }
            case Tlink m -> {
                w.header(P9.TLINK, m.tag());
                w.u32(m.dfid());
                w.u32(m.fid());
                w.str("name", m.name());
            }
            case Tmkdir m -> {
                w.header(P9.TMKDIR, m.tag());
                w.u32(m.dfid());
                w.str("name", m.name());
                w.u32(m.mode());
                w.u32(m.gid());
            }
            case Trenameat m -> {
                w.header(P9.TRENAMEAT, m.tag());
                w.u32(m.oldDirFid());
                w.str("oldName", m.oldName());
                w.u32(m.newDirFid());
                w.str("newName", m.newName());
            }
            case Tunlinkat m -> {
                w.header(P9.TUNLINKAT, m.tag());
                w.u32(m.dirFid());
                w.str("name", m.name());
                w.u32(m.flags());
            }
        }
    }

    static void reply(Rmessage message, WireWriter w) {
        switch (message) {
            case Rlerror m -> {
                w.header(P9.RLERROR, m.tag());
                w.u32(m.ecode());
            }
            case Rversion m -> {
                w.header(P9.RVERSION, m.tag());
                w.u32(m.msize());
                w.str("version", m.version());
            }
            case Rauth m -> qid(w, P9.RAUTH, m.tag(), m.aqid());
            case Rattach m -> qid(w, P9.RATTACH, m.tag(), m.qid());
            case Rflush m -> w.header(P9.RFLUSH, m.tag());
            case Rwalk m -> {
                w.header(P9.RWALK, m.tag());
                w.u16(m.qids().size());
                for (Qid q : m.qids()) {
                    w.qid(q);
                }
            }
            case Rread m -> {
                w.header(P9.RREAD, m.tag());
                w.data(m.data());
            }
            case Rwrite m -> {
                w.header(P9.RWRITE, m.tag());
                w.u32(m.count());
            }
            case Rclunk m -> w.header(P9.RCLUNK, m.tag());
            case Rremove m -> w.header(P9.RREMOVE, m.tag());
            case Rstatfs m -> {
                w.header(P9.RSTATFS, m.tag());
                StatFs s = m.statfs();
                w.u32(s.type());
                w.u32(s.bsize());
                w.u64(s.blocks());
                w.u64(s.bfree());
                w.u64(s.bavail());
                w.u64(s.files());
                w.u64(s.ffree());
                w.u64(s.fsid());
                w.u32(s.namelen());
            }
            case Rlopen m -> {
                qid(w, P9.RLOPEN, m.tag(), m.qid());
                w.u32(m.iounit());
            }
            case Rlcreate m -> {
                qid(w, P9.RLCREATE, m.tag(), m.qid());
                w.u32(m.iounit());
            }
            case Rsymlink m -> qid(w, P9.RSYMLINK, m.tag(), m.qid());
            case Rmknod m -> qid(w, P9.RMKNOD, m.tag(), m.qid());
            case Rrename m -> w.header(P9.RRENAME, m.tag());
            case Rreadlink m -> {
                w.header(P9.RREADLINK, m.tag());
                w.str("target", m.target());
            }
            case Rgetattr m -> {
                w.header(P9.RGETATTR, m.tag());
                Attr a = m.attr();
                w.u64(a.valid());
                w.qid(a.qid());
                w.u32(a.mode());
                w.u32(a.uid());
                w.u32(a.gid());
                w.u64(a.nlink());
                w.u64(a.rdev());
                w.u64(a.size());
                w.u64(a.blksize());
                w.u64(a.blocks());
                w.u64(a.atimeSec());
                w.u64(a.atimeNsec());
                w.u64(a.mtimeSec());
                w.u64(a.mtimeNsec());
                w.u64(a.ctimeSec());
                w.u64(a.ctimeNsec());
                w.u64(a.btimeSec());
                w.u64(a.btimeNsec());
                w.u64(a.gen());
                w.u64(a.dataVersion());
            }
            case Rsetattr m -> w.header(P9.RSETATTR, m.tag());
            case Rxattrwalk m -> {
                w.header(P9.RXATTRWALK, m.tag());
                w.u64(m.size());
            }
            case Rxattrcreate m -> w.header(P9.RXATTRCREATE, m.tag());
            case Rreaddir m -> {
                w.header(P9.RREADDIR, m.tag());
                w.data(m.data());
            }
            case Rfsync m -> w.header(P9.RFSYNC, m.tag());
            case Rlock m -> {
                w.header(P9.RLOCK, m.tag());
                w.u8(m.status());
            }
            case Rgetlock m -> {
                w.header(P9.RGETLOCK, m.tag());
                w.u8(m.type());
                w.u64(m.start());
                w.u64(m.length());
                w.u32(m.procId());
                w.str("clientId", m.clientId());
            }
            case Rlink m -> w.header(P9.RLINK, m.tag());
            case Rmkdir m -> qid(w, P9.RMKDIR, m.tag(), m.qid());
            case Rrenameat m -> w.header(P9.RRENAMEAT, m.tag());
            case Runlinkat m -> w.header(P9.RUNLINKAT, m.tag());
        }
    }

    private static void fid(WireWriter w, int type, int tag, int fid) {
        w.header(type, tag);
        w.u32(fid);
    }

    private static void qid(WireWriter w, int type, int tag, Qid qid) {
        w.header(type, tag);
        w.qid(qid);
    }
}
