package io.corio.core.io;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;

/**
 * The Linux errno behind an {@link IOException} of the JDK's file I/O. A {@code FileChannel}
 * call that fails brings no errno, only the C library's {@code strerror} text as its message
 * ("No space left on device"); this maps the text back. The table is made at first use by
 * asking this process's own C library for the text of every errno, so it matches whatever
 * language the JDK's messages come in; if that cannot be done (no native access), it holds
 * glibc's English texts of the errors servers answer with.
 */
public final class Errnos {
    private Errnos() {}

    /** Linux's EIO, the answer for a failure whose errno is not known. */
    public static final int EIO = 5;

    private static final int MAX_ERRNO = 133; // EHWPOISON

    private static final Map<String, Integer> BY_TEXT = table();

    /**
     * The errno whose {@code strerror} text is {@code e}'s message (or ends it, after a
     * prefix such as "Write failed: "), or {@code fallback} when none is.
     */
    public static int of(IOException e, int fallback) {
        String m = e.getMessage();
        if (m == null) {
            return fallback;
        }
        Integer errno = BY_TEXT.get(m);
        if (errno == null) {
            int colon = m.lastIndexOf(": ");
            errno = colon < 0 ? null : BY_TEXT.get(m.substring(colon + 2));
        }
        return errno == null ? fallback : errno;
    }

    private static Map<String, Integer> table() {
        Map<String, Integer> t = new HashMap<>();
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle strerror = linker.downcallHandle(
                    linker.defaultLookup().find("strerror").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            for (int errno = MAX_ERRNO; errno >= 1; errno--) { // the lowest number wins a tie
                MemorySegment s = (MemorySegment) strerror.invokeExact(errno);
                t.put(s.reinterpret(256).getString(0), errno);
            }
            return Map.copyOf(t);
        } catch (Throwable e) { // no native access: glibc's English texts
            t.clear();
            t.put("Operation not permitted", 1);
            t.put("No such file or directory", 2);
            t.put("Input/output error", 5);
            t.put("Bad file descriptor", 9);
            t.put("Cannot allocate memory", 12);
            t.put("Permission denied", 13);
            t.put("Is a directory", 21);
            t.put("Invalid argument", 22);
            t.put("File too large", 27);
            t.put("No space left on device", 28);
            t.put("Read-only file system", 30);
            t.put("Disk quota exceeded", 122);
            return Map.copyOf(t);
        }
    }
}
