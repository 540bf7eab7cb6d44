package io.corio.ninep.server;

import static io.corio.ninep.protocol.P9.LOCK_TYPE_RDLCK;
import static io.corio.ninep.protocol.P9.LOCK_TYPE_UNLCK;
import static io.corio.ninep.protocol.P9.LOCK_TYPE_WRLCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.server.LockTable.FileKey;
import io.corio.ninep.server.LockTable.Lock;
import io.corio.ninep.server.LockTable.Owner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lock table alone: fcntl range arithmetic, conflicts between owners, release. */
class LockTableTest {
    private static final long EOF = Long.MAX_VALUE;
    private final LockTable table = new LockTable();
    private final Object backend = new Object();
    private final FileKey file = new FileKey(backend, 7);
    private final Owner a = new Owner("hostA", 1);
    private final Owner b = new Owner("hostB", 1);
    private final Object fidA = new Object();
    private final Object fidB = new Object();

    private List<Lock> locks() {
        return table.locks(file);
    }

    @Test
    void adjacentLocksOfOneOwnerAndTypeMerge() {
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 0, 10));
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 10, 10));
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 5, 3));
        assertEquals(List.of(new Lock(a, LOCK_TYPE_WRLCK, 0, 20)), locks());
    }

    @Test
    void unlockInTheMiddleSplits() {
        table.lock(file, a, fidA, LOCK_TYPE_RDLCK, 0, 0);
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_UNLCK, 100, 50));
        assertEquals(List.of(new Lock(a, LOCK_TYPE_RDLCK, 0, 100),
                new Lock(a, LOCK_TYPE_RDLCK, 150, EOF)), locks());
        assertEquals(0, locks().get(1).length());
    }

    @Test
    void upgradeAndDowngradeReplaceTheOwnersRange() {
        table.lock(file, a, fidA, LOCK_TYPE_RDLCK, 0, 100);
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 20, 10)); // upgrade a part
        assertEquals(List.of(new Lock(a, LOCK_TYPE_RDLCK, 0, 20),
                new Lock(a, LOCK_TYPE_WRLCK, 20, 30),
                new Lock(a, LOCK_TYPE_RDLCK, 30, 100)), locks());
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_RDLCK, 20, 10)); // downgrade: merges back
        assertEquals(List.of(new Lock(a, LOCK_TYPE_RDLCK, 0, 100)), locks());
    }

    @Test
    void readersShareWritersExclude() {
        assertTrue(table.lock(file, a, fidA, LOCK_TYPE_RDLCK, 0, 100));
        assertTrue(table.lock(file, b, fidB, LOCK_TYPE_RDLCK, 50, 100));
        assertFalse(table.lock(file, b, fidB, LOCK_TYPE_WRLCK, 99, 1));
        assertTrue(table.lock(file, b, fidB, LOCK_TYPE_WRLCK, 100, 1)); // past a's range
        assertFalse(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 0, 0)); // b holds [50, 150)
        assertEquals(new Lock(b, LOCK_TYPE_RDLCK, 50, 100), table.test(file, a, LOCK_TYPE_WRLCK, 0, 0));
        assertNull(table.test(file, a, LOCK_TYPE_RDLCK, 0, 100));
        assertNull(table.test(file, b, LOCK_TYPE_WRLCK, 100, 1)); // its own lock never conflicts
    }

    @Test
    void aFailedRequestChangesNothing() {
        table.lock(file, b, fidB, LOCK_TYPE_WRLCK, 10, 1);
        table.lock(file, a, fidA, LOCK_TYPE_RDLCK, 0, 5);
        List<Lock> before = locks();
        assertFalse(table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 0, 20));
        assertEquals(before, locks());
    }

    @Test
    void sameProcIdOnAnotherHostIsAnotherOwner() {
        table.lock(file, new Owner("x", 5), fidA, LOCK_TYPE_WRLCK, 0, 1);
        assertFalse(table.lock(file, new Owner("y", 5), fidB, LOCK_TYPE_WRLCK, 0, 1));
        assertTrue(table.lock(file, new Owner("x", 5), fidB, LOCK_TYPE_WRLCK, 0, 1));
    }

    @Test
    void otherFilesAndOtherExportsDoNotConflict() {
        table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 0, 0);
        assertTrue(table.lock(new FileKey(backend, 8), b, fidB, LOCK_TYPE_WRLCK, 0, 0));
        assertTrue(table.lock(new FileKey(new Object(), 7), b, fidB, LOCK_TYPE_WRLCK, 0, 0));
    }

    @Test
    void releaseDropsTheOwnersLocksTakenThroughTheHolder() {
        table.lock(file, a, fidA, LOCK_TYPE_WRLCK, 0, 10);
        table.lock(file, b, fidB, LOCK_TYPE_WRLCK, 20, 10);
        table.release(fidA);
        assertEquals(List.of(new Lock(b, LOCK_TYPE_WRLCK, 20, 30)), locks());
        table.release(fidA); // idempotent
        table.release(fidB);
        assertEquals(0, table.size());
    }

    @Test
    void rangesPastTheLargestOffsetRunToTheEnd() {
        table.lock(file, a, fidA, LOCK_TYPE_WRLCK, Long.MAX_VALUE - 5, 100);
        assertEquals(List.of(new Lock(a, LOCK_TYPE_WRLCK, Long.MAX_VALUE - 5, EOF)), locks());
    }
}
