package io.corio.ninep.protocol;

import java.util.Objects;

/** Argument checks shared by the message records: wire ranges and non-null references. */
final class Check {
    private Check() {}

    static void u8(String name, int value) {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException(name + " must fit in 8 bits: " + value);
        }
    }

    static void u16(String name, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(name + " must fit in 16 bits: " + value);
        }
    }

    static void notNull(String name, Object value) {
        Objects.requireNonNull(value, name);
    }
}
