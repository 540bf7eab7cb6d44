package io.corio.blockio;

import io.corio.blockio.qcow2.Qcow2;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A device and its filters as a command line describes them ({@link #USAGE}), parsed by
 * {@link #parse} and built by {@link #open()}:
 *
 * <pre>
 *   BlockSpec spec = BlockSpec.parse(List.of("--file", "disk.img", "--latency", "1ms-30ms"));
 *   try (BlockDriver disk = spec.open()) { ... }
 * </pre>
 *
 * A bad command line is an {@link IllegalArgumentException} whose message names the flag and
 * the value, ready to print after the program's name.
 *
 * @param device what stores the bytes
 * @param readOnly whether modifications are refused ({@code --readonly})
 * @param minLatency the shortest delay per request; zero with {@code maxLatency} zero: none
 * @param maxLatency the longest delay per request, at least {@code minLatency}
 * @param count whether requests are counted ({@code --count}): then {@link #open()} returns a
 *     {@link CountingFilter}
 */
public record BlockSpec(Device device, boolean readOnly, Duration minLatency,
        Duration maxLatency, boolean count) {

    /** The flags, their values and what they do, for a program's {@code --help}. */
    public static final String USAGE = """
            device, one of:
              --memory SIZE            a sparse device of SIZE bytes in memory (lost on exit)
              --file PATH              the file PATH as the device, of its size when opened
                --create-size SIZE     first create PATH as a sparse file of SIZE bytes,
                                       unless it exists with exactly that size
                --direct               O_DIRECT: requests must be aligned to the file
                                       system's block size, or they fail with EINVAL
                --format raw|qcow2     how to read PATH (default: qcow2 if it starts with
                                       the qcow2 magic, else raw); a qcow2 image is written
                                       (clusters allocated) unless --readonly
                --no-lock              take no image lock on a raw PATH (QEMU's
                                       locking=off); by default, as QEMU does, a writable
                                       one keeps other writers (qemu, another corio) out,
                                       a read-only one keeps it from being resized
            options:
              --readonly               refuse writes, trims and zeroing with EPERM
              --latency TIME           delay every request (block status too) by TIME, e.g. 10ms
              --latency MIN-MAX        ... by a time drawn uniformly from MIN to MAX, e.g. 1ms-30ms
              --count                  count requests and bytes by kind
            SIZE is bytes, or a number with K, M, G or T (powers of 1024), e.g. 512M, 8GiB.
            TIME is a number with ns, us, ms or s, e.g. 250us, 1.5ms.
            A flag's value may also follow an '=': --memory=1G.
            """;

    private static final Set<String> VALUED =
            Set.of("--memory", "--file", "--create-size", "--latency", "--format");
    private static final Set<String> FLAGS = Set.of("--memory", "--file", "--create-size",
            "--latency", "--direct", "--format", "--no-lock", "--readonly", "--read-only",
            "--count");

    /** What stores the bytes. */
    public sealed interface Device {}

    /** {@code --memory SIZE}: {@link BlockDriver#memory(long)}. */
    public record Memory(long size) implements Device {}

    /**
     * {@code --file PATH}: {@link BlockDriver#file}, or for a qcow2 image {@link Qcow2#open}
     * with {@code --readonly} and {@link Qcow2#openReadWrite} without.
     *
     * @param createSize the size to create the file with if it does not exist, or -1
     * @param direct whether to open it with {@link FileOption#DIRECT}
     * @param format how to read it ({@code --format})
     * @param locking whether to take QEMU's image lock on a raw file (false:
     *     {@code --no-lock}, {@link FileOption#NO_LOCK})
     */
    public record File(Path path, long createSize, boolean direct, Format format,
            boolean locking) implements Device {

        public File {
            Objects.requireNonNull(format, "format");
        }

        /** A locked file whose format is detected when it is opened. */
        public File(Path path, long createSize, boolean direct) {
            this(path, createSize, direct, Format.DETECT, true);
        }
    }

    /** How a {@code --file} is read. */
    public enum Format {
        /** qcow2 if the file starts with the qcow2 magic, else raw. */
        DETECT,
        /** The file's bytes are the device's ({@code --format raw}). */
        RAW,
        /** A qcow2 image ({@code --format qcow2}), writable unless read-only. */
        QCOW2
    }

    public BlockSpec {
        Objects.requireNonNull(device, "device");
        if (minLatency.isNegative() || maxLatency.compareTo(minLatency) < 0) {
            throw new IllegalArgumentException("latency " + minLatency + ".." + maxLatency);
        }
    }

    /**
     * Parses a command line made only of this class's flags.
     *
     * @throws IllegalArgumentException naming the flag and value at fault
     */
    public static BlockSpec parse(List<String> args) {
        Parsed p = parseKnown(args);
        if (!p.rest().isEmpty()) {
            throw new IllegalArgumentException("unknown argument '" + p.rest().getFirst()
                    + "' (block device flags: --memory, --file, --create-size, --direct,"
                    + " --format, --no-lock, --readonly, --latency, --count)");
        }
        return p.spec();
    }

    /**
     * A spec and the arguments that were not this class's flags, in their order: for a
     * program with flags of its own, which it parses from {@code rest}.
     */
    public record Parsed(BlockSpec spec, List<String> rest) {}

    /**
     * Parses this class's flags out of {@code args}, leaving the others in
     * {@link Parsed#rest()}.
     *
     * @throws IllegalArgumentException naming the flag and value at fault
     */
    public static Parsed parseKnown(List<String> args) {
        Long memory = null;
        Path file = null;
        long createSize = -1;
        boolean direct = false;
        Format format = Format.DETECT;
        boolean locking = true;
        boolean readOnly = false;
        Duration[] latency = null;
        boolean count = false;
        Set<String> seen = new HashSet<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            int eq = arg.indexOf('=');
            String flag = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            String inline = flag.equals(arg) ? null : arg.substring(eq + 1);
            if (flag.equals("--read-only")) {
                flag = "--readonly"; // qemu-nbd's and nbdkit's spelling
            }
            if (!FLAGS.contains(flag)) {
                rest.add(arg);
                continue;
            }
            boolean takesValue = VALUED.contains(flag);
            if (!seen.add(flag)) {
                throw new IllegalArgumentException(flag + " given twice");
            }
            String value = inline;
            if (takesValue && value == null) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                value = args.get(++i);
            } else if (!takesValue && inline != null) {
                throw new IllegalArgumentException(flag + " takes no value, got '" + inline + "'");
            }
            switch (flag) {
                case "--memory" -> memory = parseSize(flag, value);
                case "--file" -> file = parsePath(flag, value);
                case "--create-size" -> createSize = parseSize(flag, value);
                case "--latency" -> latency = parseLatency(flag, value);
                case "--direct" -> direct = true;
                case "--format" -> format = parseFormat(flag, value);
                case "--no-lock" -> locking = false;
                case "--readonly" -> readOnly = true;
                case "--count" -> count = true;
                default -> throw new AssertionError(flag);
            }
        }
        if (memory != null && file != null) {
            throw new IllegalArgumentException("--memory and --file both given: choose one device");
        }
        if (memory == null && file == null) {
            throw new IllegalArgumentException("no device: give --memory SIZE or --file PATH");
        }
        if (file == null && (createSize >= 0 || direct || format != Format.DETECT || !locking)) {
            throw new IllegalArgumentException((direct ? "--direct" : createSize >= 0
                    ? "--create-size" : !locking ? "--no-lock" : "--format") + " needs --file");
        }
        if (format == Format.QCOW2 && (createSize >= 0 || direct || !locking)) {
            throw new IllegalArgumentException("--format qcow2 and " + (direct ? "--direct"
                    : createSize >= 0 ? "--create-size (it makes raw files; make a qcow2 image"
                    + " with qemu-img create -f qcow2)" : "--no-lock (" + NO_LOCK_QCOW2 + ")")
                    + " cannot go together");
        }
        if (memory != null && memory > MemoryDriver.MAX_LENGTH) {
            throw new IllegalArgumentException("--memory " + memory + ": more than the "
                    + Requests.size(MemoryDriver.MAX_LENGTH) + " a memory device can hold");
        }
        Device device = memory != null ? new Memory(memory)
                : new File(file, createSize, direct, format, locking);
        Duration min = latency == null ? Duration.ZERO : latency[0];
        Duration max = latency == null ? Duration.ZERO : latency[1];
        return new Parsed(new BlockSpec(device, readOnly, min, max, count), List.copyOf(rest));
    }

    /**
     * Opens the device and stacks the filters on it: read-only, then latency, then counting
     * outermost (so the driver returned is a {@link CountingFilter} with {@code --count}).
     * With {@code --create-size}, a missing file is created sparse first; an existing one is
     * used only if it has exactly that size, and never changed.
     *
     * @throws IOException if the file cannot be created or opened as asked
     */
    public BlockDriver open() throws IOException {
        BlockDriver d = switch (device) {
            case Memory m -> BlockDriver.memory(m.size());
            case File f -> openFile(f);
        };
        if (readOnly) {
            d = BlockDriver.readOnly(d);
        }
        if (!maxLatency.isZero()) {
            d = BlockDriver.withLatency(d, minLatency, maxLatency);
        }
        return count ? BlockDriver.counting(d) : d;
    }

    private BlockDriver openFile(File f) throws IOException {
        if (f.createSize() >= 0) {
            try {
                BlockDriver.createFile(f.path(), f.createSize());
            } catch (FileAlreadyExistsException e) {
                long size = Files.size(f.path());
                if (size != f.createSize()) {
                    throw new IOException(f.path() + " exists with " + size + " bytes, not the "
                            + f.createSize() + " of --create-size: remove it or drop"
                            + " --create-size to serve it as it is");
                }
            }
        }
        Format format = f.format();
        if (format == Format.DETECT) {
            format = Qcow2.detect(f.path()) ? Format.QCOW2 : Format.RAW;
        }
        if (format == Format.QCOW2) {
            return openQcow2(f);
        }
        List<FileOption> options = new ArrayList<>();
        if (readOnly) {
            options.add(FileOption.READ_ONLY);
        }
        if (f.direct()) {
            options.add(FileOption.DIRECT);
        }
        if (!f.locking()) {
            options.add(FileOption.NO_LOCK);
        }
        return BlockDriver.file(f.path(), options.toArray(FileOption[]::new));
    }

    /** Why {@code --no-lock} is refused for a qcow2 image. */
    private static final String NO_LOCK_QCOW2 = "corio always locks a qcow2 image it writes:"
            + " a second writer would corrupt its metadata";

    private BlockDriver openQcow2(File f) throws IOException {
        if (f.direct()) {
            throw new IOException(f.path() + " is a qcow2 image: --direct is for raw files");
        }
        if (!f.locking()) {
            throw new IOException(f.path() + " is a qcow2 image: --no-lock is for raw files ("
                    + NO_LOCK_QCOW2 + ")");
        }
        return readOnly ? Qcow2.open(f.path()) : Qcow2.openReadWrite(f.path());
    }

    @Override
    public String toString() {
        String s = switch (device) {
            case Memory m -> "memory " + Requests.size(m.size());
            case File f -> "file " + f.path() + (f.direct() ? " (O_DIRECT)" : "")
                    + (f.locking() ? "" : " (unlocked)")
                    + (f.format() == Format.DETECT ? "" : " (" + f.format().name()
                            .toLowerCase(Locale.ROOT) + ")");
        };
        if (readOnly) {
            s += ", read-only";
        }
        if (!maxLatency.isZero()) {
            s += ", latency " + Requests.latency(minLatency, maxLatency);
        }
        return count ? s + ", counted" : s;
    }

    // ---- values ---------------------------------------------------------------------------

    /**
     * Parses the size given to a command-line flag: {@code 4096}, {@code 512K}, {@code 1G},
     * {@code 2TiB}: bytes, or a number with K, M, G or T (powers of 1024), optionally followed by
     * {@code iB} or {@code B}. Shared by every tool that takes sizes, so they all read them alike.
     *
     * @throws IllegalArgumentException naming {@code flag} and {@code value}: not a size, or
     *     more than a {@code long} holds
     */
    public static long parseSize(String flag, String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.endsWith("IB")) {
            v = v.substring(0, v.length() - 2);
        } else if (v.endsWith("B")) {
            v = v.substring(0, v.length() - 1);
        }
        int shift = 0;
        if (!v.isEmpty()) {
            int at = "KMGT".indexOf(v.charAt(v.length() - 1));
            if (at >= 0) {
                shift = 10 * (at + 1);
                v = v.substring(0, v.length() - 1);
            }
        }
        if (v.isEmpty() || !v.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(flag + " '" + value + "' is not a size: give"
                    + " bytes or a number with K, M, G or T, e.g. 1G");
        }
        BigInteger bytes = new BigInteger(v).shiftLeft(shift);
        if (bytes.bitLength() > 63) {
            throw new IllegalArgumentException(flag + " '" + value + "' is too large");
        }
        return bytes.longValue();
    }

    /** {@code 1 GiB}, {@code 64 MiB}, {@code 1536 KiB}, {@code 100 B}: exact, never rounded. */
    public static String formatSize(long bytes) {
        return Requests.size(bytes);
    }

    /** {@code 10ms}, {@code 250us}, {@code 1.5s}: a duration with its unit. */
    static Duration parseDuration(String flag, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unit;
        int cut;
        if (v.endsWith("ns")) {
            unit = 1;
            cut = 2;
        } else if (v.endsWith("us") || v.endsWith("µs")) {
            unit = 1_000;
            cut = 2;
        } else if (v.endsWith("ms")) {
            unit = 1_000_000;
            cut = 2;
        } else if (v.endsWith("s")) {
            unit = 1_000_000_000;
            cut = 1;
        } else {
            throw new IllegalArgumentException(flag + " '" + value + "' has no unit: give a"
                    + " number with ns, us, ms or s, e.g. 10ms");
        }
        String number = v.substring(0, v.length() - cut);
        BigDecimal nanos;
        try {
            nanos = new BigDecimal(number).multiply(BigDecimal.valueOf(unit));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + value + "' is not a time: give a"
                    + " number with ns, us, ms or s, e.g. 10ms");
        }
        if (nanos.signum() < 0) {
            throw new IllegalArgumentException(flag + " '" + value + "' is negative");
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException(flag + " '" + value + "' is too long");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** {@code TIME} or {@code MIN-MAX}: the shortest and longest delay. */
    private static Duration[] parseLatency(String flag, String value) {
        int dash = value.indexOf('-');
        Duration min = parseDuration(flag, dash < 0 ? value : value.substring(0, dash));
        Duration max = dash < 0 ? min : parseDuration(flag, value.substring(dash + 1));
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException(flag + " '" + value + "': the range ends before"
                    + " it starts");
        }
        return new Duration[] {min, max};
    }

    private static Format parseFormat(String flag, String value) {
        return switch (value) {
            case "raw" -> Format.RAW;
            case "qcow2" -> Format.QCOW2;
            default -> throw new IllegalArgumentException(flag + " '" + value + "': give raw"
                    + " or qcow2");
        };
    }

    private static Path parsePath(String flag, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException(flag + " needs a path, got ''");
        }
        try {
            return Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(flag + " '" + value + "' is not a path: "
                    + e.getReason());
        }
    }
}
