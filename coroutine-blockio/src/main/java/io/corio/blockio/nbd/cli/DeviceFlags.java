package io.corio.blockio.nbd.cli;

import io.corio.blockio.BlockDriver;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The device flags of {@code ./corio nbd}: {@code --memory SIZE} or {@code --file PATH}, and
 * {@code --latency DURATION}. Collected while parsing, checked once all flags are in, and turned
 * into a driver by {@link #open}.
 */
final class DeviceFlags {
    private String memory; // the --memory value, or null
    private String file; // the --file value, or null
    private String latency; // the --latency value, or null

    void add(String flag, String value) throws Main.UsageException {
        switch (flag) {
            case "--memory" -> memory = once(flag, memory, value);
            case "--file" -> file = once(flag, file, value);
            case "--latency" -> latency = once(flag, latency, value);
            default -> throw new IllegalArgumentException(flag);
        }
    }

    private static String once(String flag, String old, String value) throws Main.UsageException {
        if (old != null) {
            throw new Main.UsageException(flag + " given twice ('" + old + "', '" + value + "')");
        }
        return value;
    }

    /** Checks that exactly one device was named and every value parses. */
    void check() throws Main.UsageException {
        if (memory == null && file == null) {
            throw new Main.UsageException("no device: give --memory SIZE or --file PATH");
        }
        if (memory != null && file != null) {
            throw new Main.UsageException("--memory and --file both given; serve one device");
        }
        if (memory != null) {
            size();
        }
        if (latency != null) {
            latency();
        }
    }

    private java.time.Duration latency() throws Main.UsageException {
        try {
            return Sizes.duration(latency);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--latency " + latency + ": " + e.getMessage());
        }
    }

    private long size() throws Main.UsageException {
        try {
            return Sizes.parse(memory);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("--memory " + memory + ": " + e.getMessage());
        }
    }

    /** Opens the device, read-only if asked. */
    BlockDriver open(boolean readOnly) throws Main.UsageException, IOException {
        BlockDriver d;
        if (memory != null) {
            try {
                d = BlockDriver.memory(size());
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--memory " + memory + ": " + e.getMessage());
            }
        } else {
            d = readOnly ? BlockDriver.file(Path.of(file), io.corio.blockio.FileOption.READ_ONLY)
                    : BlockDriver.file(Path.of(file));
        }
        if (latency != null) {
            d = BlockDriver.withLatency(d, latency());
        }
        return readOnly ? BlockDriver.readOnly(d) : d;
    }

    /** What is served, for the startup text and the export description. */
    String describe() {
        String what = memory != null ? "memory disk" : "file " + Path.of(file).toAbsolutePath();
        return latency == null ? what : what + " with " + latency + " latency";
    }
}
