package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.qcow2.Qcow2;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A qcow2 chain served read-only through the NBD server, checked with qemu-img compare
 * (qemu-utils) and with nbdinfo --map (libnbd-bin) against qemu-nbd serving the same image.
 */
@Timeout(120)
class Qcow2NbdTest {
    @TempDir
    Path dir;
    Fixture f;
    BlockDriver disk;

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    /** base.qcow2 (data) under top.qcow2 (data, a compressed and a zero cluster, holes). */
    Path chain() throws Exception {
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", "8M").ok();
        Tools.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x61 0 3M",
                "base.qcow2").ok();
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
                "qcow2", "top.qcow2", "8M").ok();
        Tools.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x62 1M 4k",
                "-c", "write -c -P 0x63 2M 64k", "-c", "write -z 2560k 64k",
                "-c", "write -P 0x64 6M 1M", "top.qcow2").ok();
        return dir.resolve("top.qcow2");
    }

    String serve(Path image) throws Exception {
        disk = Qcow2.open(image);
        f = new Fixture(NbdServer.builder().export("", disk, "qcow2"));
        return f.uri("");
    }

    @Test
    void qemuImgCompareFindsTheServedChainIdenticalToTheImage() throws Exception {
        Tools.require("qemu-img", "qemu-utils");
        Path top = chain();
        String uri = serve(top);
        Tools.Run r = Tools.run(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", uri,
                top.toString()).ok();
        assertTrue(r.output().contains("Images are identical"), r.output());
        Tools.Run write = Tools.run("qemu-io", "-f", "raw", "-c", "write -P 1 0 4k", uri);
        assertTrue(write.output().contains("Permission denied"), write.output());
    }

    @Test
    void nbdinfoMapMatchesQemuNbdServingTheSameImage() throws Exception {
        Tools.require("qemu-nbd", "qemu-utils");
        Tools.require("nbdinfo", "libnbd-bin");
        Path top = chain();
        String uri = serve(top);
        List<String> corio = merged(Tools.run("nbdinfo", "--map", uri).ok().output());
        List<String> qemu = merged(Tools.run(dir, "nbdinfo", "--map", "--", "[", "qemu-nbd",
                "-r", "-f", "qcow2", top.toString(), "]").ok().output());
        assertEquals(qemu, corio);
    }

    /** nbdinfo --map lines as "start end type", neighbours of one type joined. */
    static List<String> merged(String map) {
        List<long[]> runs = new ArrayList<>();
        for (String line : map.strip().split("\n")) {
            String[] w = line.trim().split("\\s+");
            long start = Long.parseLong(w[0]);
            long end = start + Long.parseLong(w[1]);
            long type = Long.parseLong(w[2]);
            long[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last[1] == start && last[2] == type) {
                last[1] = end;
            } else {
                runs.add(new long[] {start, end, type});
            }
        }
        return runs.stream().map(r -> r[0] + "-" + r[1] + " type " + r[2]).toList();
    }
}
