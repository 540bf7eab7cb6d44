package io.corio.blockio.qcow2;

import io.corio.blockio.ImageLock;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./corio img}: qemu-img's {@code create}, {@code check} and {@code info} for qcow2
 * images, for machines without qemu-utils. The flags are qemu-img's, so commands carry over:
 *
 * <pre>
 * ./corio img create [-q] [-f qcow2] [-o OPTIONS] [-b BACKING [-F FORMAT]] FILE [SIZE]
 * ./corio img check [-q] [-f qcow2] [-r leaks|all] [--output=human|json] FILE
 * ./corio img info [-f qcow2] [--output=human|json] FILE
 * </pre>
 *
 * Exit status: {@code check} answers as qemu-img check (0 clean, 1 not checked, 2
 * corruptions, 3 leaks only); otherwise 0 on success and 1 on any error, a bad flag or value
 * included, with a message naming it.
 */
public final class ImgMain {
    private ImgMain() {}

    static final String USAGE = """
            usage: ./corio img create [-q] [-f qcow2] [-o OPTIONS] [-b BACKING [-F FORMAT]] FILE [SIZE]
                   ./corio img check [-q] [-f qcow2] [-r leaks|all] [--output=human|json] FILE
                   ./corio img info [-f qcow2] [--output=human|json] FILE
            create: a new, empty qcow2 image of SIZE bytes (k, M, G, T, P, E: powers of 1024;
              with -b, SIZE may be left out to take the backing file's)
              -o compat=1.1|0.10       version 3 (the default) or 2
              -o cluster_size=SIZE     512 to 2M, a power of two (default 64k)
              -o refcount_bits=N       1, 2, 4, 8, 16, 32 or 64 (default 16; version 2: 16)
              -o lazy_refcounts=on|off refcounts written lazily, repaired after a crash (version 3)
              -b BACKING -F FORMAT     a backing file (relative to FILE's directory), qcow2 or
                                       raw; without -F, taken from the backing file's magic
            check: counts every cluster's references and compares them with its refcounts;
              exit 0 clean, 2 corruptions, 3 leaks only, 1 could not check
              -r leaks                 lower refcounts that are too high
              -r all                   also raise refcounts that are too low, fix COPIED
                                       flags, rebuild a broken refcount structure
            info: virtual size, cluster size, version, backing file, dirty and corrupt flags
            """;

    /** A command line that cannot be run; the message names the flag and the value. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns its exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 1 : 0;
        }
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            return switch (args[0]) {
                case "create" -> create(rest, out);
                case "check" -> check(rest, out, err);
                case "info" -> info(rest, out);
                default -> throw new UsageException("unknown command '" + args[0]
                        + "': expected create, check or info");
            };
        } catch (UsageException | IllegalArgumentException e) {
            err.println("corio img: " + e.getMessage());
            if (e instanceof UsageException) {
                err.println("(./corio img --help for the flags)");
            }
            return 1;
        } catch (NoSuchFileException e) {
            err.println("corio img: " + e.getFile() + ": no such file");
            return 1;
        } catch (IOException e) {
            err.println("corio img: " + e.getMessage());
            return 1;
        }
    }

    /** Flags and positional arguments, qemu-img style: {@code -x VALUE}, {@code --long=VALUE}. */
    private static final class Args {
        final List<String> positional = new ArrayList<>();
        final List<String[]> flags = new ArrayList<>();

        Args(List<String> args, List<String> withValue, List<String> bare)
                throws UsageException {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String name = a;
                String value = null;
                if (a.startsWith("--") && a.contains("=")) {
                    name = a.substring(0, a.indexOf('='));
                    value = a.substring(a.indexOf('=') + 1);
                }
                if (withValue.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw new UsageException(name + " needs a value");
                        }
                        value = args.get(++i);
                    }
                    flags.add(new String[] {name, value});
                } else if (bare.contains(a)) {
                    flags.add(new String[] {a, null});
                } else if (a.startsWith("-") && a.length() > 1
                        && !Character.isDigit(a.charAt(1))) { // -5: a (bad) size
                    throw new UsageException("unknown flag " + a);
                } else {
                    positional.add(a);
                }
            }
        }

        String last(String name) {
            String v = null;
            for (String[] f : flags) {
                if (f[0].equals(name)) {
                    v = f[1];
                }
            }
            return v;
        }

        boolean has(String name) {
            return flags.stream().anyMatch(f -> f[0].equals(name));
        }

        List<String> all(String name) {
            return flags.stream().filter(f -> f[0].equals(name)).map(f -> f[1]).toList();
        }
    }

    private static void requireQcow2(Args a) throws UsageException {
        String f = a.last("-f");
        if (f != null && !f.equals("qcow2")) {
            throw new UsageException("-f " + f + ": corio img handles qcow2 only");
        }
    }

    private static int create(List<String> args, PrintStream out)
            throws UsageException, IOException {
        Args a = new Args(args, List.of("-f", "-o", "-b", "-F"), List.of("-q"));
        requireQcow2(a);
        if (a.positional.isEmpty() || a.positional.size() > 2) {
            throw new UsageException("create needs FILE and SIZE (SIZE may be left out with"
                    + " -b), got " + a.positional);
        }
        Path file = Path.of(a.positional.get(0));
        long size = a.positional.size() == 2 ? parseSize("SIZE", a.positional.get(1)) : -1;
        Qcow2Create.Options o = Qcow2Create.Options.of(size);
        String backing = a.last("-b");
        String backingFormat = a.last("-F");
        for (String list : a.all("-o")) {
            for (String opt : list.split(",")) {
                int eq = opt.indexOf('=');
                if (eq < 0) {
                    throw new UsageException("-o " + opt + ": expected NAME=VALUE");
                }
                String name = opt.substring(0, eq);
                String value = opt.substring(eq + 1);
                switch (name) {
                    case "compat" -> o = o.withVersion(switch (value) {
                        case "0.10", "v2" -> 2;
                        case "1.1", "v3" -> 3;
                        default -> throw new UsageException("-o compat=" + value
                                + ": expected 1.1 (version 3) or 0.10 (version 2)");
                    });
                    case "cluster_size" -> {
                        long cs = parseSize("-o cluster_size", value);
                        if (cs < 512 || cs > (2 << 20) || Long.bitCount(cs) != 1) {
                            throw new UsageException("-o cluster_size=" + value + ": must be"
                                    + " a power of two between 512 and 2M");
                        }
                        o = o.withClusterSize((int) cs);
                    }
                    case "refcount_bits" -> {
                        int rb;
                        try {
                            rb = Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            rb = -1;
                        }
                        if (rb < 1 || rb > 64 || Integer.bitCount(rb) != 1) {
                            throw new UsageException("-o refcount_bits=" + value + ": must be"
                                    + " 1, 2, 4, 8, 16, 32 or 64");
                        }
                        o = o.withRefcountBits(rb);
                    }
                    case "lazy_refcounts" -> o = o.withLazyRefcounts(switch (value) {
                        case "on" -> true;
                        case "off" -> false;
                        default -> throw new UsageException("-o lazy_refcounts=" + value
                                + ": expected on or off");
                    });
                    case "backing_file" -> backing = value;
                    case "backing_fmt" -> backingFormat = value;
                    default -> throw new UsageException("-o " + name + ": unknown option"
                            + " (corio knows compat, cluster_size, refcount_bits,"
                            + " lazy_refcounts, backing_file, backing_fmt)");
                }
            }
        }
        if (backingFormat != null && !backingFormat.equals("qcow2")
                && !backingFormat.equals("raw")) {
            throw new UsageException("-F " + backingFormat + ": expected qcow2 or raw");
        }
        if (backingFormat != null && backing == null) {
            throw new UsageException("-F " + backingFormat + " without -b BACKING");
        }
        if (size < 0 && backing == null) {
            throw new UsageException("create needs a SIZE (or -b BACKING to take its size)");
        }
        o = o.withBacking(backing, backingFormat);
        if (o.version() == 2 && o.refcountBits() != 16) {
            throw new UsageException("-o refcount_bits=" + o.refcountBits() + ": version 2"
                    + " (compat=0.10) images have 16-bit refcounts");
        }
        if (o.version() == 2 && o.lazyRefcounts()) {
            throw new UsageException("-o lazy_refcounts=on: version 2 (compat=0.10) images have"
                    + " no lazy refcounts; use compat=1.1");
        }
        Qcow2Create.Created c = Qcow2Create.create(file, o);
        if (!a.has("-q")) {
            out.println("Formatting '" + file + "', fmt=qcow2 cluster_size=" + o.clusterSize()
                    + " compat=" + (o.version() == 3 ? "1.1" : "0.10")
                    + (backing == null ? "" : " backing_file=" + backing + " backing_fmt="
                            + c.backingFormat())
                    + " size=" + c.size() + " lazy_refcounts=" + (o.lazyRefcounts() ? "on" : "off")
                    + " refcount_bits=" + o.refcountBits());
        }
        return 0;
    }

    private static int check(List<String> args, PrintStream out, PrintStream err)
            throws UsageException, IOException {
        Args a = new Args(args, List.of("-f", "-r", "--output"), List.of("-q"));
        requireQcow2(a);
        if (a.positional.size() != 1) {
            throw new UsageException("check needs one FILE, got " + a.positional);
        }
        boolean json = output(a);
        Path file = Path.of(a.positional.get(0));
        String r = a.last("-r");
        Qcow2Check.Report report;
        if (r == null) {
            report = Qcow2Check.check(file);
            print(err, report.messages());
        } else {
            Qcow2Check.Mode mode = switch (r) {
                case "leaks" -> Qcow2Check.Mode.LEAKS;
                case "all" -> Qcow2Check.Mode.ALL;
                default -> throw new UsageException("-r " + r + ": expected leaks or all");
            };
            Qcow2Check.Repaired repaired;
            // no one writes it meanwhile
            try (ImageLock lock = ImageLock.acquire(file, ImageLock.Use.WRITE_AND_RESIZE)) {
                repaired = Qcow2Check.repair(file, mode);
            }
            print(err, repaired.pass().messages());
            report = repaired.result();
            if (mode == Qcow2Check.Mode.LEAKS && report.messages().contains(
                    "ERROR need to rebuild refcount structures")) {
                err.println("corio img: nothing was changed: the refcount structure must be"
                        + " rebuilt, which -r all does");
            }
            if (repaired.recheck() != null) {
                if (!json) {
                    out.print("The following inconsistencies were found and repaired:\n\n    "
                            + report.leaksFixed() + " leaked clusters\n    "
                            + report.corruptionsFixed() + " corruptions\n\n"
                            + "Double checking the fixed image now...\n");
                }
                print(err, report.messages());
            }
        }
        if (!a.has("-q")) {
            out.print(json ? report.json() : report.human());
        }
        return report.exitCode();
    }

    private static void print(PrintStream err, List<String> lines) {
        for (String l : lines) {
            err.println(l);
        }
    }

    private static boolean output(Args a) throws UsageException {
        String o = a.last("--output");
        if (o == null || o.equals("human")) {
            return false;
        }
        if (o.equals("json")) {
            return true;
        }
        throw new UsageException("--output=" + o + ": expected human or json");
    }

    private static int info(List<String> args, PrintStream out)
            throws UsageException, IOException {
        Args a = new Args(args, List.of("-f", "--output"), List.of());
        requireQcow2(a);
        if (a.positional.size() != 1) {
            throw new UsageException("info needs one FILE, got " + a.positional);
        }
        boolean json = output(a);
        Path file = Path.of(a.positional.get(0));
        Qcow2Header h;
        long length;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            length = ch.size();
            h = Qcow2Header.parse(file.toString(), (at, n) -> Qcow2Check.read(ch, at,
                    (int) Math.max(0, Math.min(n, length - at))), length);
        }
        long disk = diskSize(file, length);
        String compat = h.version() == 3 ? "1.1" : "0.10";
        boolean lazy = (h.compatible() & 1) != 0;
        if (json) {
            StringBuilder sb = new StringBuilder("{\n");
            sb.append("    \"virtual-size\": ").append(h.size()).append(",\n");
            sb.append("    \"filename\": ").append(quote(file.toString())).append(",\n");
            sb.append("    \"cluster-size\": ").append(h.clusterSize()).append(",\n");
            sb.append("    \"format\": \"qcow2\",\n");
            sb.append("    \"actual-size\": ").append(disk).append(",\n");
            if (h.backingFile() != null) {
                sb.append("    \"backing-filename\": ").append(quote(h.backingFile()))
                        .append(",\n");
                if (h.backingFormat() != null) {
                    sb.append("    \"backing-filename-format\": ")
                            .append(quote(h.backingFormat())).append(",\n");
                }
            }
            sb.append("    \"format-specific\": {\n        \"type\": \"qcow2\",\n"
                    + "        \"data\": {\n            \"compat\": \"").append(compat)
                    .append("\",\n");
            if (h.version() == 3) {
                sb.append("            \"lazy-refcounts\": ").append(lazy).append(",\n");
                sb.append("            \"corrupt\": ").append(h.corrupt()).append(",\n");
            }
            sb.append("            \"refcount-bits\": ").append(1 << h.refcountOrder())
                    .append("\n        }\n    },\n");
            sb.append("    \"dirty-flag\": ").append(h.dirty()).append("\n}\n");
            out.print(sb);
            return 0;
        }
        out.println("image: " + file);
        out.println("file format: qcow2");
        out.println("virtual size: " + human(h.size()) + " (" + h.size() + " bytes)");
        out.println("disk size: " + human(disk));
        out.println("cluster_size: " + h.clusterSize());
        if (h.backingFile() != null) {
            out.println("backing file: " + h.backingFile());
            if (h.backingFormat() != null) {
                out.println("backing file format: " + h.backingFormat());
            }
        }
        if (h.snapshots() != 0) {
            out.println("snapshots: " + Integer.toUnsignedString(h.snapshots()));
        }
        out.println("Format specific information:");
        out.println("    compat: " + compat);
        if (h.version() == 3) {
            out.println("    lazy refcounts: " + lazy);
        }
        out.println("    refcount bits: " + (1 << h.refcountOrder()));
        out.println("    corrupt: " + h.corrupt());
        out.println("    dirty: " + h.dirty());
        return 0;
    }

    /** Bytes the file takes on disk (blocks allocated), or its length if that is unknown. */
    private static long diskSize(Path file, long length) {
        try {
            Object blocks = Files.getAttribute(file, "unix:blocks");
            return ((Number) blocks).longValue() * 512;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return length;
        }
    }

    /** {@code 1 GiB}, {@code 196 KiB}, {@code 1.5 MiB}: as qemu-img prints sizes. */
    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains(".") && !s.contains("e")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s + " " + units[u];
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * A size as qemu-img reads one: a number, possibly with a fraction, and an optional
     * suffix: {@code b} bytes, {@code k}, {@code M}, {@code G}, {@code T}, {@code P},
     * {@code E} powers of 1024 (either case).
     *
     * @throws UsageException naming {@code what} and the value
     */
    static long parseSize(String what, String value) throws UsageException {
        String v = value.trim();
        int shift = 0;
        if (!v.isEmpty() && Character.isLetter(v.charAt(v.length() - 1))) {
            int at = "BKMGTPE".indexOf(Character.toUpperCase(v.charAt(v.length() - 1)));
            if (at < 0) {
                throw new UsageException(what + " '" + value + "': unknown suffix (use k, M,"
                        + " G, T, P or E)");
            }
            shift = 10 * at;
            v = v.substring(0, v.length() - 1);
        }
        BigDecimal n;
        try {
            n = new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw new UsageException(what + " '" + value + "' is not a size: give bytes or a"
                    + " number with k, M, G, T, P or E, e.g. 10G");
        }
        if (n.signum() < 0) {
            throw new UsageException(what + " '" + value + "' is negative");
        }
        BigDecimal bytes = n.multiply(BigDecimal.valueOf(2).pow(shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new UsageException(what + " '" + value + "' is too large");
        }
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new UsageException(what + " '" + value + "' is not a whole number of bytes");
        }
        return bytes.longValueExact();
    }
}
