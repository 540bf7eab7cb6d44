package io.corio.ninep.server;

import io.corio.ninep.client.NinepClient;
import io.corio.ninep.client.NinepError;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A client connection with one-line helpers for the tests; fids are chosen by the test. */
final class Conn implements AutoCloseable {
    final NinepClient c;

    Conn(SocketAddress address) throws IOException, NinepError {
        c = NinepClient.connect(address);
        c.version(64 * 1024);
    }

    Qid attach(int fid, String aname) throws Exception {
        return c.call(Rattach.class, t -> new Tattach(t, fid, P9.NOFID, "nobody", aname, 1000)).qid();
    }

    List<Qid> walk(int fid, int newfid, String... names) throws Exception {
        return c.call(Rwalk.class, t -> new Twalk(t, fid, newfid, List.of(names))).qids();
    }

    Qid lopen(int fid, int flags) throws Exception {
        return c.call(Rlopen.class, t -> new Tlopen(t, fid, flags)).qid();
    }

    /** Creates {@code name} in directory fid {@code fid}, which then refers to the open file. */
    Qid lcreate(int fid, String name) throws Exception {
        return c.call(Rlcreate.class, t -> new Tlcreate(t, fid, name, P9.DOTL_RDWR, 0644, 1000)).qid();
    }

    int write(int fid, long offset, String text) throws Exception {
        ByteBuffer data = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        return c.call(Rwrite.class, t -> new Twrite(t, fid, offset, data)).count();
    }

    String read(int fid, long offset, int count) throws Exception {
        ByteBuffer data = c.call(Rread.class, t -> new Tread(t, fid, offset, count)).data();
        return StandardCharsets.UTF_8.decode(data).toString();
    }

    long size(int fid) throws Exception {
        return c.call(Rgetattr.class, t -> new Tgetattr(t, fid, P9.GETATTR_BASIC)).attr().size();
    }

    Qid mkdir(int dfid, String name) throws Exception {
        return c.call(Rmkdir.class, t -> new Tmkdir(t, dfid, name, 0755, 1000)).qid();
    }

    void unlinkat(int dfid, String name, int flags) throws Exception {
        c.call(Runlinkat.class, t -> new Tunlinkat(t, dfid, name, flags));
    }

    void renameat(int from, String oldName, int to, String newName) throws Exception {
        c.call(Rrenameat.class, t -> new Trenameat(t, from, oldName, to, newName));
    }

    void clunk(int fid) throws Exception {
        c.call(Rclunk.class, t -> new Tclunk(t, fid));
    }

    /** Every name in open directory fid {@code fid}, reading in small chunks to test resuming. */
    List<String> readdir(int fid) throws Exception {
        List<String> names = new ArrayList<>();
        long offset = 0;
        while (true) {
            long at = offset;
            ByteBuffer data = c.call(Rreaddir.class, t -> new Treaddir(t, fid, at, 100)).data();
            List<DirEntry> entries = Codec.decodeDirEntries(data);
            if (entries.isEmpty()) {
                return names;
            }
            for (DirEntry e : entries) {
                names.add(e.name());
                offset = e.offset();
            }
        }
    }

    @Override
    public void close() throws IOException {
        c.close();
    }
}
