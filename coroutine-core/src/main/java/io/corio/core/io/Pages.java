package io.corio.core.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Memory for {@link BufferPool}'s buffers straight from the kernel: an anonymous
 * {@code mmap} per buffer, {@code munmap}ped when its arena closes. So a freed buffer leaves
 * the process at once: memory from {@code malloc} (what {@code Arena.allocate} and
 * {@code allocateDirect} use) goes back to the C library's free lists, which keep it resident
 * (glibc raises its mmap threshold to the size of the last large block freed, so later blocks
 * of that size come from its heaps), and a server's peak of payload buffers would stay in its
 * resident memory for good. The pages are zero and take memory only once touched.
 *
 * <p>Linux on x86_64 and aarch64 (the same flag values on both), with native access; anywhere
 * else, or if linking fails, {@link #map} takes the memory from {@code Arena.allocate}.
 */
final class Pages {
    private Pages() {}

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final long MAP_FAILED = -1;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        String arch = System.getProperty("os.arch", "");
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            try {
                Linker linker = Linker.nativeLinker();
                mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
                munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            } catch (RuntimeException e) { // no native access (IllegalCallerException), no symbol
                mmap = null;
                munmap = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    /** Whether {@link #map} maps pages itself (else it calls {@code Arena.allocate}). */
    static boolean mapsPages() {
        return MMAP != null;
    }

    /**
     * {@code size} bytes, page-aligned, that live until {@code arena} closes.
     *
     * @throws OutOfMemoryError if the memory cannot be had
     */
    @SuppressWarnings("restricted") // reinterpret: the size and lifetime are mmap's own
    static MemorySegment map(long size, Arena arena) {
        if (MMAP == null) {
            return arena.allocate(size, BufferPool.ALIGN);
        }
        MemorySegment at;
        try {
            at = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            throw new AssertionError("mmap", e);
        }
        if (at.address() == MAP_FAILED) {
            throw new OutOfMemoryError("mmap of " + size + " bytes failed");
        }
        return at.reinterpret(size, arena, Pages::unmap);
    }

    private static void unmap(MemorySegment pages) {
        try {
            int rc = (int) MUNMAP.invokeExact(pages, pages.byteSize());
            assert rc == 0 : "munmap of " + pages + ": " + rc;
        } catch (Throwable e) {
            throw new AssertionError("munmap", e);
        }
    }
}
