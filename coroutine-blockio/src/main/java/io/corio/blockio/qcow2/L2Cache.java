package io.corio.blockio.qcow2;

import io.corio.blockio.BlockException;
import io.corio.core.CoMutex;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded cache of L2 tables keyed by their offset in the image file, least recently used
 * first out. A table missing from the cache is loaded once however many coroutines miss it
 * at the same time: the first loads it, the others wait for that load and share its result
 * (or its failure). Safe for coroutines of any number of contexts; {@link #get} is a
 * coroutine function.
 *
 * <p>Tables are {@code long[]} of raw entries. Readers must not change them; the write path
 * changes the entries of a table it got from {@link #getForUpdate} or gave with {@link #put}
 * (both mark it dirty), under its own metadata lock. A dirty table is never evicted: the
 * write path writes it back (after the refcounts it depends on) and marks it clean with
 * {@link #clean}, on flush or when {@link #dirtyCount()} grows large.
 */
final class L2Cache {

    /*
     * Implementation notes.
     *
     * `slots` is an access-ordered LinkedHashMap guarded by `lock`, a plain lock held only
     * for map operations, never across a yield. A slot is published in the map before its
     * table is loaded, with its `loading` CoMutex already held (a tryLock on a fresh mutex,
     * which cannot fail or yield); the loader releases it when the table (or the failure) is
     * set. A coroutine that finds a slot without a table locks and unlocks `loading`: it
     * yields until the load is over, and the mutex's happens-before edge makes the table
     * visible to it. A failed load removes its slot, so the next miss tries again.
     *
     * Eviction removes the least recently used slots that are loaded and clean; a slot still
     * loading is skipped (its waiters hold a reference), and so is a dirty one (its changes
     * exist nowhere else), so the map may exceed capacity until the write path writes the
     * dirty tables back. `dirty` is guarded by `lock`.
     */

    /** Reads one L2 table: a coroutine function (it may yield). */
    @FunctionalInterface
    interface Loader {
        long[] load(long offset) throws BlockException;
    }

    private static final class Slot {
        final CoMutex loading = CoMutex.create("L2 load");
        volatile long[] table; // set once by the loader, before it unlocks `loading`
        volatile BlockException failure; // likewise, on a failed load
        boolean dirty; // guarded by lock

        Slot() {}

        Slot(long[] table) {
            this.table = table;
        }
    }

    private final Loader loader;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<Long, Slot> slots = new LinkedHashMap<>(16, 0.75f, true); // guarded by lock
    private int dirtyCount; // guarded by lock: slots with dirty set
    private final AtomicLong loads = new AtomicLong(); // statistics only

    /**
     * @param capacity the most tables kept, at least 1
     * @throws IllegalArgumentException if {@code capacity} is below 1
     */
    L2Cache(Loader loader, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("L2 cache capacity " + capacity + " < 1");
        }
        this.loader = loader;
        this.capacity = capacity;
    }

    /** The table at {@code offset}, loaded if it is not cached. A coroutine function. */
    long[] get(long offset) throws BlockException {
        Slot slot;
        boolean mine = false;
        lock.lock();
        try {
            slot = slots.get(offset);
            if (slot == null) {
                slot = new Slot();
                if (!slot.loading.tryLock()) {
                    throw new AssertionError("a fresh mutex is locked");
                }
                slots.put(offset, slot);
                mine = true;
                evict();
            } else if (slot.table != null) {
                return slot.table;
            }
        } finally {
            lock.unlock();
        }
        return mine ? load(offset, slot) : await(slot);
    }

    private long[] load(long offset, Slot slot) throws BlockException {
        try {
            loads.incrementAndGet();
            slot.table = loader.load(offset);
            return slot.table;
        } catch (BlockException | RuntimeException e) {
            slot.failure = e instanceof BlockException b ? b : null;
            lock.lock();
            try {
                slots.remove(offset, slot);
            } finally {
                lock.unlock();
            }
            throw e;
        } finally {
            slot.loading.unlock();
        }
    }

    /** Waits for another coroutine's load of {@code slot}. */
    private static long[] await(Slot slot) throws BlockException {
        slot.loading.lock(); // yields until the loader unlocks
        slot.loading.unlock();
        if (slot.table != null) {
            return slot.table;
        }
        if (slot.failure != null) {
            throw slot.failure;
        }
        throw new IllegalStateException("the L2 table load failed unexpectedly in another"
                + " coroutine");
    }

    /**
     * The table at {@code offset}, loaded if it is not cached, marked dirty so that it stays
     * cached until {@link #clean}: the caller is about to change its entries. A coroutine
     * function.
     */
    long[] getForUpdate(long offset) throws BlockException {
        while (true) {
            long[] loaded = get(offset);
            lock.lock();
            try {
                Slot slot = slots.get(offset);
                if (slot == null) { // evicted between the load and now: it is still current
                    slot = new Slot(loaded);
                    slots.put(offset, slot);
                }
                if (slot.table != null) {
                    if (!slot.dirty) {
                        slot.dirty = true;
                        dirtyCount++;
                    }
                    return slot.table;
                }
            } finally {
                lock.unlock();
            }
            // a new load of it started meanwhile: take that one
        }
    }

    /** Caches {@code table}, a new one at {@code offset} (replacing a stale one), dirty. */
    void put(long offset, long[] table) {
        lock.lock();
        try {
            Slot slot = new Slot(table);
            slot.dirty = true;
            dirtyCount++;
            Slot old = slots.put(offset, slot);
            if (old != null && old.dirty) {
                dirtyCount--;
            }
            evict();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the table at {@code offset}, if cached: its cluster was freed. */
    void drop(long offset) {
        lock.lock();
        try {
            Slot old = slots.remove(offset);
            if (old != null && old.dirty) {
                dirtyCount--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The dirty tables, by offset. */
    Map<Long, long[]> dirtyTables() {
        lock.lock();
        try {
            Map<Long, long[]> out = new LinkedHashMap<>();
            slots.forEach((offset, slot) -> {
                if (slot.dirty) {
                    out.put(offset, slot.table);
                }
            });
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Marks the table at {@code offset} written back, so it may be evicted again. */
    void clean(long offset) {
        lock.lock();
        try {
            Slot slot = slots.get(offset);
            if (slot != null && slot.dirty) {
                slot.dirty = false;
                dirtyCount--;
            }
            evict();
        } finally {
            lock.unlock();
        }
    }

    int dirtyCount() {
        lock.lock();
        try {
            return dirtyCount;
        } finally {
            lock.unlock();
        }
    }

    /** Drops least recently used loaded, clean tables past the capacity. Caller holds lock. */
    private void evict() {
        Iterator<Map.Entry<Long, Slot>> it = slots.entrySet().iterator();
        while (slots.size() > capacity && it.hasNext()) {
            Slot slot = it.next().getValue();
            if (slot.table != null && !slot.dirty) {
                it.remove();
            }
        }
    }

    /** How many tables were read from the file so far. */
    long loads() {
        return loads.get();
    }

    /** How many tables are cached now (loading ones included). */
    int size() {
        lock.lock();
        try {
            return slots.size();
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        return capacity;
    }
}
