package io.corio.blockio.nbd.cli;

/**
 * Byte sizes of the server's flags ({@code --budget}): {@code 4096}, {@code 64K}, {@code 1G},
 * {@code 2TiB}, binary. The device flags' sizes are {@code BlockSpec}'s.
 */
final class Sizes {
    private Sizes() {}

    /**
     * Parses a size: digits, then optionally K, M, G or T (powers of 1024), optionally followed
     * by {@code iB} or {@code B}.
     *
     * @throws IllegalArgumentException with a message saying what is wrong
     */
    static long parse(String s) {
        String t = s.strip();
        String lower = t.toLowerCase();
        if (lower.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (lower.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty()) {
            switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = -1;
            }
            if (shift >= 0) {
                t = t.substring(0, t.length() - 1);
            } else {
                shift = 0;
            }
        }
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size (expected bytes, or a number with K, M, G or T)");
        }
        if (n < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
        if (n > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("too large");
        }
        return n << shift;
    }

    /** {@code 1 GiB}, {@code 64 MiB}, {@code 1536 KiB}, {@code 100 bytes}: exact, never rounded. */
    static String format(long n) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (n != 0 && n % (1L << shifts[i]) == 0) {
                return (n >> shifts[i]) + " " + units[i];
            }
        }
        return n + " bytes";
    }
}
