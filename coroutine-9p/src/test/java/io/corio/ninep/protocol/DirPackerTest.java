package io.corio.ninep.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.protocol.Rmessage.Rreaddir;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Readdir packing honours its byte limit exactly and unpacks to what was packed. */
class DirPackerTest {

    private static final DirEntry A = new DirEntry(Samples.DIR, 1, P9.DT_DIR, ".");
    private static final DirEntry B = new DirEntry(Samples.FILE, 2, P9.DT_REG, "file.txt");
    private static final DirEntry C = new DirEntry(Samples.LINK, 3, P9.DT_LNK, "€uro");

    @Test
    void entrySizeCountsUtf8Bytes() {
        assertEquals(P9.DIRENT_HEADER_SIZE + 1, DirPacker.entrySize(A));
        assertEquals(P9.DIRENT_HEADER_SIZE + 6, DirPacker.entrySize(C), "€ is three bytes");
    }

    @Test
    void entriesFillTheLimitExactlyAndNoMore() throws Exception {
        int limit = DirPacker.entrySize(A) + DirPacker.entrySize(B) + DirPacker.entrySize(C);
        DirPacker packer = new DirPacker(limit);
        assertTrue(packer.add(A));
        assertTrue(packer.add(B));
        assertTrue(packer.add(C));
        assertEquals(limit, packer.size());
        assertFalse(packer.add(A), "not even the smallest entry fits now");
        assertEquals(limit, packer.size());
        assertEquals(3, packer.count());
        assertEquals(List.of(A, B, C), Codec.decodeDirEntries(packer.data()));
    }

    @Test
    void anEntryOneByteTooBigIsRefusedWhole() throws Exception {
        int limit = DirPacker.entrySize(A) + DirPacker.entrySize(B) - 1;
        DirPacker packer = new DirPacker(limit);
        assertTrue(packer.add(A));
        assertFalse(packer.add(B));
        assertEquals(DirPacker.entrySize(A), packer.size(), "nothing of B was written");
        assertEquals(1, packer.count());
        assertEquals(List.of(A), Codec.decodeDirEntries(packer.data()));
    }

    @Test
    void aZeroLimitTakesNothing() throws Exception {
        DirPacker packer = new DirPacker(0);
        assertFalse(packer.add(A));
        assertEquals(0, packer.data().remaining());
        assertEquals(List.of(), Codec.decodeDirEntries(packer.data()));
        assertThrows(IllegalArgumentException.class, () -> new DirPacker(-1));
    }

    @Test
    void theReplyLimitIsTheSmallerOfCountAndWhatMsizeLeaves() {
        assertEquals(100, DirPacker.forReply(100, 8192).limit());
        assertEquals(8192 - 11, DirPacker.forReply(8192, 8192).limit());
        assertEquals(8192 - 11, DirPacker.forReply(0xFFFF_FFFF, 8192).limit(), "count is u32");
        assertEquals(0, DirPacker.forReply(0, 8192).limit());
        assertEquals(0, DirPacker.forReply(100, 5).limit());
    }

    @Test
    void aReplyPackedUntilRefusalFitsMsizeAndStoppedOnlyWhenFull() throws Exception {
        int msize = 4096;
        DirPacker packer = DirPacker.forReply(msize, msize);
        List<DirEntry> packed = new ArrayList<>();
        DirEntry refused;
        for (int i = 0; ; i++) {
            // names of 1..40 bytes, so the last entry lands anywhere
            DirEntry e = new DirEntry(Samples.FILE, i, P9.DT_REG, "n".repeat(1 + i % 40));
            if (!packer.add(e)) {
                refused = e;
                break;
            }
            packed.add(e);
        }
        int left = packer.limit() - packer.size();
        assertTrue(DirPacker.entrySize(refused) > left, "refused only when it did not fit");
        Rreaddir reply = new Rreaddir(1, packer.data());
        assertEquals(msize - left, Codec.size(reply));
        assertEquals(packed, Codec.decodeDirEntries(packer.data()));
    }

    @Test
    void growsPastItsFirstBufferUpToTheLimit() throws Exception {
        DirPacker packer = new DirPacker(1 << 20);
        List<DirEntry> packed = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            DirEntry e = new DirEntry(new Qid(P9.QTFILE, i, i), i + 1, P9.DT_REG, "entry-" + i);
            assertTrue(packer.add(e));
            packed.add(e);
        }
        assertTrue(packer.size() > 4096);
        ByteBuffer data = packer.data();
        assertTrue(data.isReadOnly());
        assertEquals(packer.size(), data.remaining());
        assertEquals(packed, Codec.decodeDirEntries(data));
    }

    @Test
    void aNameTooLongForTheWireIsRefused() {
        DirPacker packer = new DirPacker(1 << 20);
        DirEntry huge = new DirEntry(Samples.FILE, 1, P9.DT_REG, "x".repeat(70_000));
        assertThrows(IllegalArgumentException.class, () -> packer.add(huge));
        assertEquals(0, packer.size());
    }
}
