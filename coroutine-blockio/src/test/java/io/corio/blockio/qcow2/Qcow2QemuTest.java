package io.corio.blockio.qcow2;

import io.corio.core.AioContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Images made and written by qemu-img and qemu-io (Debian package qemu-utils), read through
 * {@link Qcow2#open} and compared byte for byte with {@code qemu-img convert -O raw}, and
 * their block status with {@code qemu-img map}. Skipped, naming the package, without them.
 */
@Timeout(300)
class Qcow2QemuTest {
    static final long SIZE = (6 << 20) + 1536; // not a whole number of clusters

    @TempDir
    Path dir;
    Qemu qemu;
    final AioContext ctx = AioContext.start("qcow2-qemu");

    @BeforeEach
    void setUp() {
        Qemu.require();
        qemu = new Qemu(dir);
    }

    @AfterEach
    void stop() {
        ctx.close();
    }

    @ParameterizedTest(name = "compat {0}, {1}-byte clusters")
    @CsvSource({"0.10, 512", "0.10, 65536", "0.10, 2097152",
            "1.1, 512", "1.1, 65536", "1.1, 2097152"})
    void patternsZeroesAndCompressedClustersReadAsQemuReadsThem(String compat, int cluster)
            throws Exception {
        Path img = qemu.create("img.qcow2", "compat=" + compat + ",cluster_size=" + cluster,
                SIZE);
        int compressed = Math.min(4 * cluster, 2 << 20);
        qemu.io(img,
                "write -P 0x11 0 100k", // across clusters from the start
                "write -P 0x22 1000k 300k", // starts and ends inside clusters
                "write -c -P 0x33 2M " + cluster, // one compressed cluster
                "write -c -P 0x66 4M " + compressed, // compressed clusters side by side
                "write -P 0x44 3M 256k",
                "write -z 3M 64k", // a zero cluster over data (v3), zeros written (v2)
                "write -P 0x55 " + (SIZE - 1536) + " 1536"); // the end of the disk
        qemu.assertReadsAsQemu(ctx, img);
    }

    @Test
    void aWholeImageCompressedByQemuImgConvertReads() throws Exception {
        Path src = dir.resolve("src.raw");
        byte[] content = new byte[5 << 20];
        Random random = new Random(7);
        for (int i = 0; i < content.length; i++) { // compressible text, random runs, zeros
            content[i] = (i / 4096) % 3 == 0 ? (byte) ('a' + (i % 23))
                    : (i / 4096) % 3 == 1 ? (byte) random.nextInt() : 0;
        }
        Files.write(src, content);
        for (String cluster : new String[] {"512", "65536"}) {
            Path img = dir.resolve("c" + cluster + ".qcow2");
            qemu.run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
                    "cluster_size=" + cluster, src.toString(), img.toString());
            qemu.assertReadsAsQemu(ctx, img);
        }
    }

    @Test
    void aThreeLevelQcow2ChainWithMixedClusterSizesReads() throws Exception {
        Path base = qemu.create("base.qcow2", "cluster_size=65536", 4 << 20);
        qemu.io(base, "write -P 0xa1 0 4M");
        // relative backing names: resolved from each image's directory, as qemu does
        Path mid = qemu.create("mid.qcow2", "cluster_size=512", 5 << 20,
                "-b", "base.qcow2", "-F", "qcow2");
        qemu.io(mid, "write -P 0xb2 64k 8k", "write -z 1M 128k", "write -P 0xb3 4M 256k");
        Path top = qemu.create("top.qcow2", "cluster_size=65536", SIZE,
                "-b", "mid.qcow2", "-F", "qcow2");
        qemu.io(top, "write -P 0xc3 66k 1k", // a partial cluster: the rest copied from below
                "write -c -P 0xc4 2M 64k", "write -z 3M 64k", "write -P 0xc5 5M 4k");
        qemu.assertReadsAsQemu(ctx, mid);
        qemu.assertReadsAsQemu(ctx, top);
    }

    @Test
    void aRawBackingFileShorterThanTheImageReads() throws Exception {
        Path base = dir.resolve("base.raw");
        byte[] content = new byte[3 << 20];
        new Random(3).nextBytes(content);
        java.util.Arrays.fill(content, 1 << 20, 2 << 20, (byte) 0);
        Files.write(base, content);
        for (String compat : new String[] {"0.10", "1.1"}) {
            Path top = qemu.create("top" + compat + ".qcow2", "compat=" + compat, SIZE,
                    "-b", "base.raw", "-F", "raw");
            qemu.io(top, "write -P 0xd1 512k 4k", "write -P 0xd2 " + ((3 << 20) - 2048)
                    + " 4k"); // across the backing file's end
            qemu.assertReadsAsQemu(ctx, top);
        }
    }
}
