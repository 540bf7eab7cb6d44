package io.corio.ninep.server;

import io.corio.ninep.client.NinepClient;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import io.corio.ninep.protocol.Tmessage.*;

/** One-line calls for the less common messages, beside {@link Conn}. */
final class NinepClientCalls {
    private final NinepClient c;

    NinepClientCalls(Conn conn) {
        this.c = conn.c;
    }

    void fsync(int fid) throws Exception {
        c.call(Rfsync.class, t -> new Tfsync(t, fid, 0));
    }

    void truncate(int fid, long size) throws Exception {
        SetAttr a = new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, size, 0, 0, 0, 0);
        c.call(Rsetattr.class, t -> new Tsetattr(t, fid, a));
    }

    Qid symlink(int dfid, String name, String target) throws Exception {
        return c.call(Rsymlink.class, t -> new Tsymlink(t, dfid, name, target, 1000)).qid();
    }

    String readlink(int fid) throws Exception {
        return c.call(Rreadlink.class, t -> new Treadlink(t, fid)).target();
    }

    void link(int dfid, int fid, String name) throws Exception {
        c.call(Rlink.class, t -> new Tlink(t, dfid, fid, name));
    }

    Qid mknod(int dfid, String name, int mode) throws Exception {
        return c.call(Rmknod.class, t -> new Tmknod(t, dfid, name, mode, 0, 0, 1000)).qid();
    }

    StatFs statfs(int fid) throws Exception {
        return c.call(Rstatfs.class, t -> new Tstatfs(t, fid)).statfs();
    }

    void rename(int fid, int dfid, String name) throws Exception {
        c.call(Rrename.class, t -> new Trename(t, fid, dfid, name));
    }

    void remove(int fid) throws Exception {
        c.call(Rremove.class, t -> new Tremove(t, fid));
    }
}
